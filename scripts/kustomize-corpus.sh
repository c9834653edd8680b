#!/usr/bin/env bash
# Convert every `ok` case of the realworld corpus twice, as a Kustomize layout and as one plain
# stream, build the layout with `kubectl kustomize` and check that it yields the same objects
# as the plain output (compared as parsed documents; Kustomize sorts them its own way, and its
# secretGenerator wraps long base64 values).
# Extra `kubeferry convert` flags may follow `--`. Needs ../shared and kubectl.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED_DIR:-$here/../shared}"
[ "${1:-}" = "--" ] && shift
HARNESS_SKIP_CHECKOV=1 "$shared/tools/k8s-check/setup.sh" > /dev/null
venv="${HARNESS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-check-venv}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$here/scripts/convert-corpus.sh" "$out/kust" -- --layout kustomize "$@"
"$here/scripts/convert-corpus.sh" "$out/plain" -- --layout single "$@"
same=0; differ=0
for d in "$out"/kust/*/; do
  id="$(basename "$d")"
  if ! kubectl kustomize "$d/base" > "$out/$id.built" 2> "$out/$id.kerr"; then
    differ=$((differ+1)); echo "FAILED $id: kubectl kustomize: $(head -3 "$out/$id.kerr")"; continue
  fi
  if "$venv/bin/python" - "$out/$id.built" "$out/plain/$id" <<'PY'
import sys, yaml, json
def unwrapped(d):
    # Kustomize's secretGenerator wraps long base64 values at 76 columns; the API server
    # ignores the line breaks, so they are not a difference.
    if d.get("kind") == "Secret" and isinstance(d.get("data"), dict):
        d["data"] = {k: v.replace("\n", "") for k, v in d["data"].items()}
    return d
def docs(p):
    with open(p) as f:
        return sorted(json.dumps(unwrapped(d), sort_keys=True) for d in yaml.safe_load_all(f) if d is not None)
a, b = docs(sys.argv[1]), docs(sys.argv[2])
if a != b:
    print(f"{len(a)} objects built, {len(b)} plain; first difference:")
    for x, y in zip(a, b):
        if x != y:
            print("  built:", x[:300]); print("  plain:", y[:300]); break
    sys.exit(1)
PY
  then same=$((same+1)); else differ=$((differ+1)); echo "DIFFERS $id"; fi
done
echo "kustomize-corpus: $same cases build to the plain output, $differ differ"
[ "$differ" -eq 0 ] && [ "$same" -gt 0 ]
