#!/usr/bin/env bash
# Usage: cluster-health.sh [--node URL] [--token TOKEN]
#
# Checks the Archiver cluster as the node sees it: every member Up and none unreachable.
# Prints one line per problem (or one line saying all is well) and exits:
#   0  every member is Up and reachable
#   1  a member is not Up (Joining, Leaving, Down, ...) or is unreachable, or there are no members
#   4  the node did not answer (not running, wrong --node, wrong token)
# The node defaults to $ARCHIVER_NODE (else http://127.0.0.1:7780), the token to $ARCHIVER_TOKEN, and the
# archiver command to $ARCHIVER (else `archiver` on the PATH).
#
# Example (cron, mail on failure):
#   */5 * * * * ARCHIVER_NODE=http://127.0.0.1:7780 /opt/archiver/pbm-scripts/cluster-health.sh || mail -s "archiver cluster" ops@example.com
set -euo pipefail

archiver=${ARCHIVER:-archiver}
args=()
while (($# > 0)); do
  case $1 in
    --node | --token)
      (($# >= 2)) || { echo "cluster-health.sh: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$2")
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "cluster-health.sh: unknown argument '$1' (see --help)" >&2
      exit 2
      ;;
  esac
done

# TSV columns: address, status, reachable, leader, self, up-since, roles (docs/inspection.md).
rows=$("$archiver" inspect members -o tsv "${args[@]}") || exit $?

members=0
problems=0
leader=none
while IFS=$'\t' read -r address status reachable is_leader _self _up_since _roles; do
  [[ -n $address ]] || continue
  members=$((members + 1))
  if [[ $is_leader == yes ]]; then leader=$address; fi
  if [[ $status != Up ]]; then
    echo "NOT UP: $address is $status"
    problems=$((problems + 1))
  fi
  if [[ $reachable != yes ]]; then
    echo "UNREACHABLE: $address"
    problems=$((problems + 1))
  fi
done <<<"$rows"

if ((members == 0)); then
  echo "NO MEMBERS: the node has not joined a cluster"
  exit 1
fi
if ((problems > 0)); then
  echo "unhealthy: $problems problem(s) among $members member(s); leader $leader"
  exit 1
fi
echo "healthy: $members member(s) Up, none unreachable; leader $leader"
