#!/usr/bin/env bash
# Convert the realworld corpus three ways (device plugin, --gpu-api dra, and with a model
# runner), check each with the offline validator (device plugin at 1.30 and 1.37, DRA, written
# for --kube-version 1.34 where resource.k8s.io/v1 is GA, at 1.34 and 1.37, model runners at
# 1.37), and regenerate the corpus tables of docs/gpus.md from the output.
#
#   scripts/gpu-corpus.sh [OUT]    (OUT defaults to a temp folder that is removed)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED_DIR:-$here/../shared}"
check="$shared/tools/k8s-check"
venv="${HARNESS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-check-venv}"
if [ $# -ge 1 ]; then out="$1"; mkdir -p "$out"; else out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT; fi
runner="docker/model-runner:latest"
"$here/scripts/convert-corpus.sh" "$out/plugin"
"$here/scripts/convert-corpus.sh" "$out/dra" -- --gpu-api dra --kube-version 1.34
"$here/scripts/convert-corpus.sh" "$out/runner" -- --model-runner-image "$runner"
status=0
for run in plugin:1.30 plugin:1.37 dra:1.34 dra:1.37 runner:1.37; do
  dir="${run%%:*}"; v="${run##*:}"
  "$check/validate.py" "$out/$dir" --k8s-version "$v" --no-checkov --scope dir --json > "$out/$dir-$v.json" || true
  "$venv/bin/python" - "$out/$dir-$v.json" "$dir" "$v" <<'PY' || status=1
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(f"gpu-corpus: {sys.argv[2]} at Kubernetes {sys.argv[3]}: {t['objects']} objects, "
      f"{t['schema_errors']} schema errors, {t['semantic_errors']} semantic errors")
sys.exit(1 if t["schema_errors"] or t["semantic_errors"] else 0)
PY
done
"$venv/bin/python" "$here/scripts/gpu-table.py" "$out" "$here/docs/gpus.md"
exit $status
