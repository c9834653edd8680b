#!/usr/bin/env bash
# Convert the whole corpus (realworld ok cases and the Kompose inputs Docker Compose accepts)
# and check the output with the offline Kubernetes validator at 1.30 and 1.37: any schema or
# semantic error fails. Needs ../shared (read-only is fine: output goes to a temp folder).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED_DIR:-$here/../shared}"
check="$shared/tools/k8s-check"
HARNESS_SKIP_CHECKOV=1 "$check/setup.sh" > /dev/null
venv="${HARNESS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-check-venv}"
export COMPOSE_BIN="${COMPOSE_BIN:-$venv/bin/compose}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$here/scripts/convert-corpus.sh" "$out/conv" --kompose -- "$@"
status=0
for v in 1.30 1.37; do
  "$check/validate.py" "$out/conv" --k8s-version "$v" --no-checkov --scope dir --json > "$out/val.json" || true
  python3 - "$out/val.json" "$v" <<'PY' || status=1
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(f"validate-corpus: Kubernetes {sys.argv[2]}: {t['objects']} objects, "
      f"{t['schema_errors']} schema errors, {t['semantic_errors']} semantic errors, "
      f"{t.get('pss_baseline_violations', 0)} PSS baseline violations")
sys.exit(1 if t["schema_errors"] or t["semantic_errors"] else 0)
PY
done
exit $status
