#!/usr/bin/env bash
# Convert every `ok` case of the realworld corpus (and, with --kompose, every Kompose fixture
# input the reference accepts) into OUT/<case>/, one file per object, with the extra
# `kubeferry convert` flags given after `--`. Prints one line per failing case and a total.
#
#   scripts/convert-corpus.sh OUT [--kompose] [-- convert flags...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/cases.sh
. "$here/scripts/lib/cases.sh"
shared="${SHARED_DIR:-$here/../shared}"
bin="${KUBEFERRY_BIN:-$here/target/release/kubeferry}"
out="$1"; shift
kompose=0
if [ "${1:-}" = "--kompose" ]; then kompose=1; shift; fi
[ "${1:-}" = "--" ] && shift
extra=("$@")
rm -rf "$out"; mkdir -p "$out"
out="$(cd "$out" && pwd)"
root="$shared/corpus/realworld"
ok=0; failed=0
while IFS=$'\t' read -r id dir files envf profs vars expect _; do
  [ "$id" = case ] && continue
  [ "$expect" = ok ] || continue
  case_args "$files" "$envf" "$profs" "$vars"
  if (cd "$root/$dir" && env -i PATH="$PATH" HOME="${HOME:-/}" PWD="$root/$dir" "${envv[@]}" \
        "$bin" convert "${args[@]}" -q -o "$out/$id" "${extra[@]}") 2> "$out/$id.err"; then
    ok=$((ok+1)); rm -f "$out/$id.err"
  else
    failed=$((failed+1)); echo "FAILED $id: $(head -3 "$out/$id.err")"
  fi
done < "$root/cases.tsv"
if [ "$kompose" = 1 ]; then
  for f in "$shared"/corpus/kompose/fixtures/*/*.y*ml; do
    grep -q '^services:' "$f" || continue
    d="$(dirname "$f")"; name="kompose-$(basename "$d")-$(basename "$f" | tr . -)"
    # Only inputs the reference loader accepts count.
    if [ -n "${COMPOSE_BIN:-}" ] && ! (cd "$d" && env -i PATH="$PATH" HOME="${HOME:-/}" PWD="$d" "$COMPOSE_BIN" -f "$f" config -q >/dev/null 2>&1); then
      continue
    fi
    if (cd "$d" && env -i PATH="$PATH" HOME="${HOME:-/}" PWD="$d" "$bin" convert -f "$f" -q -o "$out/$name" "${extra[@]}") 2> "$out/$name.err"; then
      ok=$((ok+1)); rm -f "$out/$name.err"
    else
      failed=$((failed+1)); echo "FAILED $name: $(head -3 "$out/$name.err")"
    fi
  done
fi
echo "convert-corpus: $ok converted, $failed failed"
[ "$failed" -eq 0 ]
