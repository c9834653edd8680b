# shellcheck shell=bash
# How a case of shared/corpus/realworld/cases.tsv loads, as the corpus scripts run it.
# Sourced by scripts/convert-corpus.sh and scripts/staged-corpus.sh (harden-check.py does the
# same in Python).
#
#   case_args FILES ENV_FILES PROFILES VARS
#
# sets `args` (the -f, --env-file and --profile flags; each column is comma-separated, `-`
# for none) and `envv` (the VAR=value words of the case's variables).
case_args() {
  local files="$1" envf="$2" profs="$3" vars="$4" p parts
  args=()
  IFS=',' read -r -a parts <<< "$files"; for p in "${parts[@]}"; do args+=(-f "$p"); done
  if [ "$envf" != "-" ]; then IFS=',' read -r -a parts <<< "$envf"; for p in "${parts[@]}"; do args+=(--env-file "$p"); done; fi
  if [ "$profs" != "-" ]; then IFS=',' read -r -a parts <<< "$profs"; for p in "${parts[@]}"; do args+=(--profile "$p"); done; fi
  envv=(); [ "$vars" != "-" ] && read -r -a envv <<< "$vars"
  return 0
}
