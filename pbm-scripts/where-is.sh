#!/usr/bin/env bash
# Usage: where-is.sh KIND NAMESPACE/NAME [--node URL] [--token TOKEN]
#
# Which cluster member hosts an entity, and its phase. KIND is opsrequest, archiver or database.
# Prints one line: "database shop/orders: on akka.tcp://archiver@10.0.0.5:4053 (shard 9), phase Archiving, 3 events"
# and exits:
#   0  found
#   1  no such entity (neither the resource nor a journal stream exists), or an unknown KIND
#   2  wrong arguments
#   4  the node did not answer
# The node defaults to $ARCHIVER_NODE (else http://127.0.0.1:7780), the token to $ARCHIVER_TOKEN, and the
# archiver command to $ARCHIVER (else `archiver` on the PATH).
#
# Example:
#   pbm-scripts/where-is.sh database shop/orders
set -euo pipefail

archiver=${ARCHIVER:-archiver}
args=()
positional=()
while (($# > 0)); do
  case $1 in
    --node | --token)
      (($# >= 2)) || { echo "where-is.sh: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$2")
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "where-is.sh: unknown option '$1' (see --help)" >&2
      exit 2
      ;;
    *)
      positional+=("$1")
      shift
      ;;
  esac
done
if ((${#positional[@]} != 2)); then
  echo "usage: where-is.sh KIND NAMESPACE/NAME [--node URL] [--token TOKEN]" >&2
  exit 2
fi

# TSV columns: kind, namespace/name, member, shard, phase, persistence id, last sequence number.
row=$("$archiver" inspect entity "${positional[0]}" "${positional[1]}" -o tsv "${args[@]}") || exit $?
IFS=$'\t' read -r kind id member shard phase _persistence_id events <<<"$row"

if [[ $member == - ]]; then
  where="on no member yet (shard $shard is not allocated)"
else
  where="on $member (shard $shard)"
fi
echo "$kind $id: $where, phase $phase, $events event(s)"
