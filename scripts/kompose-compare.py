#!/usr/bin/env python3
"""Compare kubeferry with Kompose's golden outputs, fixture by fixture.

For every Kompose fixture folder in ../shared/corpus/kompose/fixtures with a default input
(compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml) that the reference
loader accepts and a default golden (output-k8s.yaml, else output-k8s.json), convert the input
with `kubeferry convert --harden none --format json` and compare, per category, the sets of:
workloads (kind/name), Services, Service ports, PVCs, ConfigMaps, Secrets, images, container
ports and environment values. Prints one row per fixture and the totals.

  scripts/kompose-compare.py [--bin target/debug/kubeferry] [--details]

Needs PyYAML (the validator's venv has it: ~/.cache/k8s-check-venv/bin/python).
"""
import argparse
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod",
             "ReplicationController", "DeploymentConfig"}
# Flags Kompose's own test harness (script/test/cmd/tests.sh) converts these inputs with.
HARNESS_FLAGS = {
    "statefulset/compose.yaml": ["--controller", "statefulset"],
    "change-in-volume/compose.yaml": ["--volumes", "emptyDir"],
}
INPUTS = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]
CATEGORIES = ["workloads", "services", "service_ports", "pvcs", "configmaps", "secrets",
              "images", "container_ports", "env"]


def load_golden(path):
    text = open(path, encoding="utf-8").read()
    # Legacy templates carry placeholders for the Kompose version and command line.
    text = re.sub(r"%[A-Z]+%", "x", text)
    if path.endswith(".json"):
        doc = json.loads(text)
        return doc.get("items", [doc]) if doc.get("kind") == "List" else [doc]
    return [d for d in yaml.safe_load_all(text) if d]


def pod_spec(o):
    spec = o.get("spec") or {}
    kind = o.get("kind")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    return ((spec.get("template") or {}).get("spec")) or {}


def facts(objects):
    f = {c: set() for c in CATEGORIES}
    for o in objects:
        kind, name = o.get("kind"), (o.get("metadata") or {}).get("name")
        if kind in WORKLOADS:
            f["workloads"].add(f"{kind}/{name}")
            for c in pod_spec(o).get("containers") or []:
                if c.get("image"):
                    f["images"].add(c["image"])
                for p in c.get("ports") or []:
                    f["container_ports"].add(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}")
                for e in c.get("env") or []:
                    if "value" in e:
                        f["env"].add(f"{e['name']}={e['value']}")
        elif kind == "Service":
            f["services"].add(name)
            for p in (o.get("spec") or {}).get("ports") or []:
                f["service_ports"].add(f"{name}:{p.get('port')}/{p.get('protocol', 'TCP')}")
        elif kind == "PersistentVolumeClaim":
            f["pvcs"].add(name)
        elif kind == "ConfigMap":
            f["configmaps"].add(name)
        elif kind == "Secret":
            f["secrets"].add(name)
    return f


def accepted(compose_bin, d, f):
    if not compose_bin:
        return True
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), "PWD": d}
    r = subprocess.run([compose_bin, "-f", f, "config", "-q"], cwd=d, env=env,
                       capture_output=True)
    return r.returncode == 0


def kubeferry(binary, d, f, flags):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), "PWD": d}
    r = subprocess.run([binary, "convert", "-f", f, "--harden", "none", "--format", "json", "-q", *flags],
                       cwd=d, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[:1]
    return json.loads(r.stdout)["items"], []


def golden_for(d, inp):
    """The golden output Kompose's tests compare an input with, by the naming conventions of
    its fixtures: output-k8s.yaml for the default input, output-k8s-<variant>.* or
    output-<variant>-k8s.* for compose-<variant>.yaml (trying shorter variants too)."""
    files = set(os.listdir(d))
    stem = re.sub(r"\.(ya?ml)$", "", inp)
    variant = re.sub(r"^(docker-)?compose-?", "", stem)
    if stem in ("compose", "docker-compose"):
        variant = ""
    candidates = []
    parts = variant.split("-") if variant else []
    for i in range(len(parts)):
        v = "-".join(parts[i:])
        candidates += [f"output-k8s-{v}.yaml", f"output-k8s-{v}.json",
                       f"output-k8s-{v}-template.json", f"output-{v}-k8s.yaml",
                       f"output-{v}-k8s.json", f"output-k8s-template-{v}.json"]
    inputs = [f for f in files if re.search(r"\.ya?ml$", f) and not f.startswith("output-")]
    if not variant or len(inputs) == 1:
        # The folder's only input is what its default golden was made from.
        candidates += ["output-k8s.yaml", "output-k8s.json", "output-k8s-template.json"]
    return next((c for c in candidates if c in files), None)


def pairs(base):
    """(label, folder, input, golden) for every Compose input under the fixtures."""
    out = []
    for d, dirs, files in os.walk(base):
        dirs.sort()
        for f in sorted(files):
            if not re.search(r"\.ya?ml$", f) or f.startswith("output-"):
                continue
            path = os.path.join(d, f)
            try:
                text = open(path, encoding="utf-8").read()
            except OSError:
                continue
            if not re.search(r"^services:", text, re.M):
                continue
            label = os.path.relpath(path, base)
            out.append((label, d, f, golden_for(d, f)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/debug/kubeferry"))
    ap.add_argument("--shared", default=os.environ.get("SHARED_DIR", os.path.join(ROOT, "../shared")))
    ap.add_argument("--compose-bin", default=os.path.expanduser("~/.cache/k8s-check-venv/bin/compose"))
    ap.add_argument("--details", action="store_true", help="print what differs")
    a = ap.parse_args()
    compose_bin = a.compose_bin if os.path.exists(a.compose_bin) else None
    base = os.path.join(a.shared, "corpus/kompose/fixtures")
    totals = {c: [0, 0] for c in CATEGORIES}  # [same, compared]
    rows, skipped, failed = [], [], []
    for name, d, inp, gold in pairs(base):
        if not gold:
            skipped.append(f"{name} (no golden output for it)")
            continue
        if not accepted(compose_bin, d, os.path.join(d, inp)):
            skipped.append(f"{name} (the reference loader rejects it)")
            continue
        ours, err = kubeferry(a.bin, d, os.path.join(d, inp), HARNESS_FLAGS.get(name, []))
        if ours is None:
            failed.append(f"{name}: {' '.join(err)}")
            continue
        theirs, mine = facts(load_golden(os.path.join(d, gold))), facts(ours)
        cells = []
        for c in CATEGORIES:
            if not theirs[c] and not mine[c]:
                cells.append("·")
                continue
            totals[c][1] += 1
            if theirs[c] == mine[c]:
                totals[c][0] += 1
                cells.append("=")
            else:
                cells.append(f"+{len(mine[c] - theirs[c])}/-{len(theirs[c] - mine[c])}")
                if a.details:
                    cells[-1] += (f" [kubeferry only: {sorted(mine[c] - theirs[c])}; "
                                  f"kompose only: {sorted(theirs[c] - mine[c])}]")
        rows.append((name, inp, gold, cells))
    print("| fixture | " + " | ".join(CATEGORIES) + " |")
    print("| --- " * (len(CATEGORIES) + 1) + "|")
    for name, _inp, _gold, cells in rows:
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(f"fixtures compared: {len(rows)}; skipped: {len(skipped)}; kubeferry failed: {len(failed)}")
    for c in CATEGORIES:
        same, n = totals[c]
        print(f"  {c}: identical in {same} of {n} fixtures that have any")
    for s in skipped:
        print(f"  skipped {s}")
    for f in failed:
        print(f"  FAILED {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
