# Sourced by the corpus scripts. validate_dir NAME DIR VERSION: the offline validator
# ($check/validate.py) on DIR at Kubernetes VERSION (--scope dir, no checkov); prints
# "NAME: Kubernetes VERSION: N objects, S schema errors, E semantic errors" and returns 1
# when S or E is not 0.
validate_dir() {
  local name="$1" dir="$2" v="$3" json rc=0
  json="$(mktemp)"
  "$check/validate.py" "$dir" --k8s-version "$v" --no-checkov --scope dir --json > "$json" 2>/dev/null || true
  python3 - "$json" "$name" "$v" <<'PY' || rc=1
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(f"{sys.argv[2]}: Kubernetes {sys.argv[3]}: {t['objects']} objects, "
      f"{t['schema_errors']} schema errors, {t['semantic_errors']} semantic errors")
sys.exit(1 if t["schema_errors"] or t["semantic_errors"] else 0)
PY
  rm -f "$json"
  return $rc
}
