#!/usr/bin/env bash
# The lock file decides whether the output runs (docs/lock.md): fixtures/lock-runtime is a
# project whose images kubeferry knows only from its kubeferry.lock (neither is in the image
# table or the known-port table). It is converted at --harden restricted with --pin-digests,
# twice (the output must be byte-identical: no network), and played by runtime-check with
# the stand-ins its `map` file names. Passes when every pod runs and is healthy.
#
#   KUBEFERRY_BIN   the binary (default: target/release/kubeferry, built if missing)
#   SHARED_DIR      where runtime-check lives (default: ../shared)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${KUBEFERRY_BIN:-$here/target/release/kubeferry}"
[ -x "$bin" ] || (cd "$here" && cargo build --quiet --release)
rc="${SHARED_DIR:-$here/../shared}/tools/runtime-check/runtime-check"
fixture="$here/fixtures/lock-runtime"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for run in a b; do
  (cd "$fixture" && env -i PATH="$PATH" "$bin" convert -f compose.yaml -q \
    --harden restricted --pin-digests -o "$out/$run.yaml")
done
cmp -s "$out/a.yaml" "$out/b.yaml" || { echo "FAIL: two conversions differ" >&2; exit 1; }
maps=()
while IFS= read -r line; do
  [ -n "$line" ] && maps+=(--map "$line")
done < "$fixture/map"
"$rc" "$out/a.yaml" "${maps[@]}"
