#!/usr/bin/env bash
# The benchmark: `kubeferry convert` (default hardening, YAML written to a file) against the
# reference loader's `compose config --format json` on the same synthetic projects, then
# `kubeferry --version` against a 3-service conversion, then the whole realworld corpus.
# Prints a markdown table with the ratios the targets are about (docs/performance.md) and
# exits 1 when a target is missed.
#
#   scripts/bench.sh            # 3, 100, 1,000 and 5,000 services; 10 runs each (5 at 5,000)
#   scripts/bench.sh --quick    # up to 1,000 services, 3 runs: what CI can afford
#
# Environment: KUBEFERRY_BIN (default: target/release/kubeferry, built here), COMPOSE_BIN
# (default: ~/.cache/k8s-check-venv/bin/compose), BENCH_DIR (default: a temporary folder),
# SHARED_DIR (default: ../shared). Needs hyperfine and /usr/bin/time (Debian: hyperfine, time).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
compose_bin="${COMPOSE_BIN:-$HOME/.cache/k8s-check-venv/bin/compose}"
shared="${SHARED_DIR:-$here/../shared}"
for tool in hyperfine /usr/bin/time python3 "$compose_bin"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
(cd "$here" && cargo build --release --quiet -p kubeferry-bench-gen)
gen="$here/target/release/kubeferry-bench-gen"
if [ -z "${KUBEFERRY_BIN:-}" ]; then
  (cd "$here" && cargo build --release --quiet -p kubeferry)
fi
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work/bin"
# The binary measured is an installed copy, as `cargo install` or a package leaves it, not the
# file the linker wrote into target/: the kernel caches a file written in small pieces in
# small pages, and starting from it takes about 15 % more page faults (docs/performance.md).
# `--version` runs from the same copy.
install -m 755 "${KUBEFERRY_BIN:-$here/target/release/kubeferry}" "$work/bin/kubeferry"
bin="$work/bin/kubeferry"
if [ "$quick" = 1 ]; then
  sizes=(3 100 1000); runs=3; warmup=1
else
  sizes=(3 100 1000 5000); runs=10; warmup=2
fi
# Only what the benchmark sets: no variable of the caller's shell reaches interpolation.
clean_env=(env -i PATH="$PATH" HOME="$HOME")

# Runs hyperfine ROUNDS times with PER runs of each command, warming up in the first round
# only, and prints the comma-separated JSON files. The commands take turns round by round, so
# a change in the machine's speed during the benchmark (this shared virtual machine drifts by
# 10 % over minutes) falls on all of them alike instead of on whichever ran last.
#   alternate PREFIX ROUNDS PER WARMUP [-n NAME COMMAND]...
alternate() {
  local prefix=$1 rounds=$2 per=$3 warm=$4 files=()
  shift 4
  for i in $(seq 1 "$rounds"); do
    local w=0
    [ "$i" = 1 ] && w=$warm
    "${clean_env[@]}" hyperfine -N --style none --runs "$per" --warmup "$w" \
      --export-json "$prefix-$i.json" "$@" >/dev/null
    files+=("$prefix-$i.json")
  done
  (IFS=,; echo "${files[*]}")
}

# Peak resident memory of one run, in KiB.
peak_kib() {
  "${clean_env[@]}" /usr/bin/time -f '%M' -o "$work/time.out" "$@" >/dev/null 2>&1
  tail -1 "$work/time.out"
}

echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kubeferry $("$bin" --version | cut -d' ' -f2), $("$compose_bin" version --short 2>/dev/null || echo '?') reference" >&2
printf 'load\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" > "$work/results.tsv"
for n in "${sizes[@]}"; do
  dir="$work/s$n"
  "$gen" "$n" "$dir"
  # `runs` of each tool in all, taking turns in rounds of (up to) two.
  per=2; [ "$runs" -lt 10 ] && per=1
  [ "$n" -ge 5000 ] && per=1
  rounds=$(( runs / per )); [ "$n" -ge 5000 ] && rounds=$(( runs / 2 ))
  kf=("$bin" convert -f compose.yaml -o "$work/out-$n.yaml")
  ref=("$compose_bin" -f compose.yaml config --format json)
  json=$(cd "$dir" && alternate "$work/h$n" "$rounds" "$per" "$warmup" \
    -n kubeferry "${kf[*]}" -n reference "${ref[*]}")
  kf_mem=$(cd "$dir" && peak_kib "${kf[@]}")
  ref_mem=$(cd "$dir" && peak_kib "${ref[@]}")
  printf 'size\t%s\t%s\t%s\t%s\n' "$n" "$json" "$kf_mem" "$ref_mem" >> "$work/results.tsv"
  echo "bench: $n services done" >&2
done
# Growth: kubeferry alone at 1,000 and 5,000 services in one hyperfine run, back to back, so
# that both see the same load (in the runs above, minutes of reference runs lie between them).
if [ -d "$work/s1000" ] && [ -d "$work/s5000" ]; then
  json=$(alternate "$work/growth" "$(( runs / 2 ))" 2 "$warmup" \
    -n 1000 "$bin convert -f $work/s1000/compose.yaml -o $work/out-1000.yaml" \
    -n 5000 "$bin convert -f $work/s5000/compose.yaml -o $work/out-5000.yaml")
  printf 'growth\t%s\n' "$json" >> "$work/results.tsv"
fi
# Process start-up: the 3-service conversion against `--version`, taking turns.
json=$(cd "$work/s3" && alternate "$work/startup" "$runs" 10 3 \
  -n version "$bin --version" -n convert-3 "$bin convert -f compose.yaml -o $work/out-3.yaml")
printf 'startup\t%s\n' "$json" >> "$work/results.tsv"
if [ -f "$shared/corpus/realworld/cases.tsv" ]; then
  corpus_runs=5; [ "$quick" = 1 ] && corpus_runs=3
  python3 "$here/scripts/bench/corpus.py" "$bin" "$shared/corpus/realworld" "$work/corpus" "$corpus_runs" file \
    > "$work/corpus.tsv"
  printf 'corpus\t%s\n' "$work/corpus.tsv" >> "$work/results.tsv"
  # For information: the same into folders of one file per object (--layout files).
  python3 "$here/scripts/bench/corpus.py" "$bin" "$shared/corpus/realworld" "$work/corpus-folders" "$corpus_runs" folder \
    > "$work/corpus-folders.tsv"
  printf 'corpus-folders\t%s\n' "$work/corpus-folders.tsv" >> "$work/results.tsv"
else
  echo "bench: $shared/corpus/realworld is absent; the corpus target is not measured" >&2
fi
printf 'load-after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$work/results.tsv"
python3 "$here/scripts/bench/table.py" "$work/results.tsv" "$quick"
