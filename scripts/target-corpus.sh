#!/usr/bin/env bash
# Convert the realworld corpus for each release on either side of a --kube-version boundary
# (src/target.rs: 1.25 the oldest, 1.28/1.29 native sidecars, 1.34/1.35 image volumes,
# 1.36 user namespaces, 1.37 the newest) and check each output with the offline validator
# at that release: any schema or semantic error fails. Needs ../shared.
#
#   scripts/target-corpus.sh [EXTRA CONVERT FLAGS...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED_DIR:-$here/../shared}"
check="$shared/tools/k8s-check"
. "$here/scripts/lib/validate.sh"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0
for v in 1.25 1.28 1.29 1.34 1.35 1.36 1.37; do
  "$here/scripts/convert-corpus.sh" "$out/$v" -- --kube-version "$v" "$@" > /dev/null
  validate_dir "target-corpus: --kube-version $v" "$out/$v" "$v" || status=1
done
exit $status
