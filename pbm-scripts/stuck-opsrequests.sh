#!/usr/bin/env bash
# Usage: stuck-opsrequests.sh [--older-than DURATION] [--namespace NS] [--node URL] [--token TOKEN]
#
# Lists the ops requests that are not terminal (not Successful, Failed or Skipped) and were created longer
# ago than DURATION (default 10m; a number with s, m, h or d). One line each:
#   shop/orders-archiver-configure-1a2b  database orders  ConfigureArchiver  Progressing for 14m: <last message>
# and exits:
#   0  none is stuck
#   1  at least one is stuck
#   2  wrong arguments
#   4  the node did not answer
# The node defaults to $ARCHIVER_NODE (else http://127.0.0.1:7780), the token to $ARCHIVER_TOKEN, and the
# archiver command to $ARCHIVER (else `archiver` on the PATH).
#
# Example:
#   pbm-scripts/stuck-opsrequests.sh --older-than 30m --namespace shop
set -euo pipefail

archiver=${ARCHIVER:-archiver}
older_than=10m
args=()
while (($# > 0)); do
  case $1 in
    --older-than | --namespace | -n | --node | --token)
      (($# >= 2)) || { echo "stuck-opsrequests.sh: $1 needs a value" >&2; exit 2; }
      case $1 in
        --older-than) older_than=$2 ;;
        -n) args+=(--namespace "$2") ;;
        *) args+=("$1" "$2") ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "stuck-opsrequests.sh: unknown argument '$1' (see --help)" >&2
      exit 2
      ;;
  esac
done

if [[ ! $older_than =~ ^([0-9]+)([smhd])$ ]]; then
  echo "stuck-opsrequests.sh: --older-than '$older_than' is not a duration such as 90s, 10m, 2h or 1d" >&2
  exit 2
fi
case ${BASH_REMATCH[2]} in
  s) limit=$((10#${BASH_REMATCH[1]})) ;;
  m) limit=$((10#${BASH_REMATCH[1]} * 60)) ;;
  h) limit=$((10#${BASH_REMATCH[1]} * 3600)) ;;
  d) limit=$((10#${BASH_REMATCH[1]} * 86400)) ;;
esac

human() {
  local s=$1
  if ((s >= 172800)); then echo "$((s / 86400))d"
  elif ((s >= 7200)); then echo "$((s / 3600))h"
  elif ((s >= 120)); then echo "$((s / 60))m"
  else echo "${s}s"
  fi
}

# TSV columns: namespace, name, database, operation, phase, terminal, age in seconds, last message.
rows=$("$archiver" inspect opsrequests -o tsv "${args[@]}") || exit $?

stuck=0
while IFS=$'\t' read -r ns name database operation phase terminal age message; do
  [[ -n $ns ]] || continue
  if [[ $terminal == no ]] && ((age > limit)); then
    printf '%s/%s  database %s  %s  %s for %s: %s\n' "$ns" "$name" "$database" "$operation" "$phase" "$(human "$age")" "$message"
    stuck=$((stuck + 1))
  fi
done <<<"$rows"

if ((stuck > 0)); then
  echo "$stuck ops request(s) not terminal after $older_than" >&2
  exit 1
fi
echo "no ops request has been pending or progressing for more than $older_than"
