#!/usr/bin/env bash
# The Helm half of the credentials check (docs/secrets.md; tests/secrets.rs does the rest):
# converts fixtures/convert/credentials to a Helm chart and renders it with Helm itself (the
# PyPI package helm-python-sdk bundles Helm v4's SDK; no helm binary, no cluster). Checks:
#   - with `-f values-secrets.yaml` the chart renders exactly the plain output, and every
#     `cred-…` value of the fixture appears only inside Secret objects;
#   - without it, rendering fails with a message naming values-secrets.yaml;
#   - with `secrets.<name>.create=false` (Secrets made another way) no Secret is rendered and
#     no value appears anywhere.
# With --corpus, also renders every `ok` case of the shared corpus (../shared) and compares it
# with the plain output.
#
#   KUBEFERRY_BIN      the binary (default: target/release/kubeferry, built if missing)
#   HELM_CHECK_VENV    where the virtualenv lives (default ~/.cache/kubeferry-helm-venv)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${KUBEFERRY_BIN:-$here/target/release/kubeferry}"
[ -x "$bin" ] || (cd "$here" && cargo build --quiet --release)
# shellcheck source=lib/helm-venv.sh
. "$here/scripts/lib/helm-venv.sh"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fixture="$here/fixtures/convert/credentials"
# Interpolation sees only the fixture's .env, as in tests/secrets.rs.
(cd "$fixture" && env -i PATH="$PATH" "$bin" convert -f compose.yaml -q --layout helm -o "$out/chart")
(cd "$fixture" && env -i PATH="$PATH" "$bin" convert -f compose.yaml -q --layout single -o "$out/plain.yaml")
corpus=()
if [ "${1:-}" = "--corpus" ]; then
  shared="${SHARED_DIR:-$here/../shared}"
  "$here/scripts/convert-corpus.sh" "$out/helm" -- --layout helm > /dev/null
  "$here/scripts/convert-corpus.sh" "$out/single" -- --layout single > /dev/null
  for d in "$out"/helm/*/; do corpus+=("$(basename "$d")"); done
fi
HELM_DOCS_LIB="$here/scripts/lib" "$venv/bin/python" - "$out" "$fixture" "${corpus[@]}" <<'PY'
import base64, copy, json, os, pathlib, re, sys
import helm_python as helm, yaml
sys.path.insert(0, os.environ["HELM_DOCS_LIB"])
from helm_docs import docs_of, key

out, fixture, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3:]

def render(chart_dir, values):
    chart = helm.Chart.load(str(chart_dir))
    return docs_of(chart.render(values=values, name="check", namespace="default"))

def plain(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]

creds = sorted({m for f in ("compose.yaml", ".env", "api.env", "webhook.key")
                for m in re.findall(r"cred-[a-z0-9-]+", (fixture / f).read_text())})
forms = {c: (c, base64.b64encode(c.encode()).decode()) for c in creds}

def leaks(docs):
    found = []
    for d in docs:
        if d.get("kind") == "Secret":
            continue
        text = json.dumps(d)
        found += [f"{d['kind']}/{d['metadata']['name']}: {c}" for c, fs in forms.items() if any(f in text for f in fs)]
    return found

chart = out / "chart"
for f in chart.rglob("*"):
    if f.is_file() and f.name != "values-secrets.yaml":
        text = f.read_text()
        bad = [c for c, fs in forms.items() if any(x in text for x in fs)]
        assert not bad, f"{f.relative_to(chart)} holds {bad}"
secrets = yaml.safe_load((chart / "values-secrets.yaml").read_text())
docs = render(chart, secrets)
assert not leaks(docs), leaks(docs)
assert key(docs) == key(plain(out / "plain.yaml")), "the chart does not render the plain output"
in_secrets = " ".join(base64.b64decode(v).decode() for d in docs if d["kind"] == "Secret"
                      for v in d.get("data", {}).values())
missing = [c for c in creds if c not in in_secrets and c != "cred-smtp-file-2323"]
assert not missing, f"not in any Secret: {missing}"
try:
    render(chart, None)
    raise SystemExit("rendered without the Secrets' values")
except helm.HelmError as e:
    assert "values-secrets.yaml" in str(e), str(e)
values = yaml.safe_load((chart / "values.yaml").read_text())
existing = {"secrets": {n: {"create": False} for n in values["secrets"]}}
docs = render(chart, existing)
assert all(d["kind"] != "Secret" for d in docs)
assert not leaks(docs) and not any(any(f in json.dumps(d) for fs in forms.values() for f in fs) for d in docs)
print(f"secrets-check: Helm renders the chart to the plain output; {len(creds)} credentials only in Secrets; "
      "without values-secrets.yaml it refuses; with create=false no Secret and no value")

same = differ = 0
for case in corpus:
    cdir = out / "helm" / case
    extra = cdir / "values-secrets.yaml"
    vals = yaml.safe_load(extra.read_text()) if extra.exists() else None
    docs = render(cdir, vals)
    if key(docs) == key(plain(out / "single" / case)):
        same += 1
    else:
        differ += 1
        print(f"DIFFERS {case}")
if corpus:
    print(f"secrets-check: {same} corpus charts render to the plain output with Helm, {differ} differ")
    assert differ == 0
PY
