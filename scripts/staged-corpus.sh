#!/usr/bin/env bash
# Staged migration on every `ok` case of the realworld corpus: `kubeferry plan` (Markdown and
# JSON) into OUT/plans/<case>.{md,json}, then `convert --stage stateless` (bridges to 10.0.0.5,
# reverse bridges to 10.0.0.9) and `--stage stateful` into OUT/stages/<case>/{stage1,stage2}/;
# stage 2 is given only stage 1's record (OUT/plans/<case>.stage.json), as a user would run it.
# Each override file goes to OUT/plans/<case>.compose.bridge.yaml (--bridge-file): the stage
# folders hold manifests only. Any failing command fails the script. With --validate,
# OUT/stages is then checked with the offline validator at 1.30 and 1.37.
#
#   scripts/staged-corpus.sh OUT [--validate] [-- convert flags...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/cases.sh
. "$here/scripts/lib/cases.sh"
shared="${SHARED_DIR:-$here/../shared}"
bin="${KUBEFERRY_BIN:-$here/target/release/kubeferry}"
out="$1"; shift
validate=0; if [ "${1:-}" = "--validate" ]; then validate=1; shift; fi
[ "${1:-}" = "--" ] && shift
extra=("$@")
rm -rf "$out"; mkdir -p "$out"
out="$(cd "$out" && pwd)"
root="$shared/corpus/realworld"
ok=0; failed=0; overrides=0; total_claims=0
while IFS=$'\t' read -r id dir files envf profs vars expect _; do
  [ "$id" = case ] && continue
  [ "$expect" = ok ] || continue
  case_args "$files" "$envf" "$profs" "$vars"
  mkdir -p "$out/plans" "$out/stages/$id"
  run() { (cd "$root/$dir" && env -i PATH="$PATH" HOME="${HOME:-/}" PWD="$root/$dir" "${envv[@]}" "$bin" "$@"); }
  err="$out/plans/$id.err"
  if run plan "${args[@]}" > "$out/plans/$id.md" 2> "$err" \
     && run plan "${args[@]}" --format json > "$out/plans/$id.json" 2>> "$err" \
     && run convert "${args[@]}" -q --stage stateless --compose-host 10.0.0.5 --cluster-host 10.0.0.9 \
          --bridge-file "$out/plans/$id.compose.bridge.yaml" --state "$out/plans/$id.stage.json" \
          -o "$out/stages/$id/stage1" "${extra[@]}" 2>> "$err" \
     && run convert -q --stage stateful --state "$out/plans/$id.stage.json" \
          -o "$out/stages/$id/stage2" "${extra[@]}" 2>> "$err"; then
    ok=$((ok+1))
    rm -f "$err"
    [ -f "$out/plans/$id.compose.bridge.yaml" ] && overrides=$((overrides+1))
    # Stage 2 keeps every data location the plan calls stateful: no emptyDir at a data path.
    claims=$(grep -l "kind: PersistentVolumeClaim" "$out/stages/$id/stage2"/*.yaml 2>/dev/null | wc -l)
    total_claims=$((total_claims+claims))
  else
    failed=$((failed+1)); echo "FAILED $id: $(head -3 "$err")"
  fi
done < "$root/cases.tsv"
echo "staged-corpus: $ok cases planned and staged ($overrides with an override file, $total_claims claims in stage 2), $failed failed"
status=0; [ "$failed" -eq 0 ] || status=1
if [ "$validate" = 1 ]; then
  check="$shared/tools/k8s-check"
  . "$here/scripts/lib/validate.sh"
  for v in 1.30 1.37; do
    validate_dir staged-corpus "$out/stages" "$v" || status=1
  done
fi
exit $status
