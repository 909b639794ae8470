#!/usr/bin/env bash
# The whole local stack: up [--brokers N] [--clickhouse-replicas N] (install + start +
# health), down, status. `--brokers 3` starts a KRaft cluster of three brokers
# (kafka_cluster.sh) instead of one; `--clickhouse-replicas N` starts N ClickHouse replicas
# and ZooKeeper instead of one server (clickhouse.sh); later commands follow the last count.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$REPO_ROOT/deploy/local"
command=${1:-}; shift || true
brokers=1
ch_args=()
while (($#)); do
  case "$1" in
    --brokers) brokers="${2:?usage: $0 up --brokers N}"; shift 2 ;;
    --clickhouse-replicas) ch_args=(--replicas "${2:?--clickhouse-replicas needs a number}"); shift 2 ;;
    *) fail "unknown option $1 (usage: $0 up [--brokers N] [--clickhouse-replicas N])" ;;
  esac
done
[[ "$brokers" =~ ^[1-9][0-9]*$ ]] || fail "--brokers takes a whole number of brokers, not $brokers"
case "$command" in
  up) "$HERE/clickhouse.sh" start "${ch_args[@]}"
      if ((brokers == 1)); then "$HERE/kafka.sh" start; else "$HERE/kafka_cluster.sh" start "$brokers"; fi ;;
  down) "$HERE/kafka_cluster.sh" stop; "$HERE/kafka.sh" stop; "$HERE/clickhouse.sh" stop ;;
  status) rc=0; "$HERE/clickhouse.sh" status || rc=$?
          if ! "$HERE/kafka_cluster.sh" status; then "$HERE/kafka.sh" status || rc=$?; fi; exit $rc ;;
  health) "$HERE/clickhouse.sh" health; "$HERE/kafka.sh" health ;;
  *) echo "usage: $0 up [--brokers N] [--clickhouse-replicas N]|down|status|health" >&2; exit 2 ;;
esac
