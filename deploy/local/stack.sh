#!/usr/bin/env bash
# The whole local stack: up [--brokers N] (install + start + health), down, status.
# `--brokers 3` starts a KRaft cluster of three brokers (kafka_cluster.sh) instead of one.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$REPO_ROOT/deploy/local"
brokers=1
if [[ "${2:-}" == --brokers ]]; then brokers="${3:?usage: $0 up --brokers N}"; fi
[[ "$brokers" =~ ^[1-9][0-9]*$ ]] || fail "--brokers takes a whole number of brokers, not $brokers"
case "${1:-}" in
  up) "$HERE/clickhouse.sh" start
      if ((brokers == 1)); then "$HERE/kafka.sh" start; else "$HERE/kafka_cluster.sh" start "$brokers"; fi ;;
  down) "$HERE/kafka_cluster.sh" stop; "$HERE/kafka.sh" stop; "$HERE/clickhouse.sh" stop ;;
  status) rc=0; "$HERE/clickhouse.sh" status || rc=$?
          if ! "$HERE/kafka_cluster.sh" status; then "$HERE/kafka.sh" status || rc=$?; fi; exit $rc ;;
  health) "$HERE/clickhouse.sh" health; "$HERE/kafka.sh" health ;;
  *) echo "usage: $0 up [--brokers N]|down|status|health" >&2; exit 2 ;;
esac
