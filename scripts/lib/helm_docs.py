"""Shared by the Helm checks (secrets-check.sh, helm-check.sh): the objects of a Helm render
and an order-free key to compare two sets of objects."""
import json

import yaml


def docs_of(rendered):
    """The objects of `Chart.render`'s {path: text}, templates in path order, NOTES left out."""
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def key(docs):
    return sorted(json.dumps(d, sort_keys=True) for d in docs)
