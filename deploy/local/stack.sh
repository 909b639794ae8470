#!/usr/bin/env bash
# The whole local stack: up (install + start + health), down, status.
# `up --clickhouse-replicas N` starts N ClickHouse replicas and ZooKeeper instead of one
# server (clickhouse.sh); later commands follow the last count.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$REPO_ROOT/deploy/local"
ch_args=()
if [[ "${2:-}" == --clickhouse-replicas ]]; then ch_args=(--replicas "${3:?--clickhouse-replicas needs a number}"); fi
case "${1:-}" in
  up) "$HERE/clickhouse.sh" start "${ch_args[@]}"; "$HERE/kafka.sh" start ;;
  down) "$HERE/kafka.sh" stop; "$HERE/clickhouse.sh" stop ;;
  status) rc=0; "$HERE/clickhouse.sh" status || rc=$?; "$HERE/kafka.sh" status || rc=$?; exit $rc ;;
  health) "$HERE/clickhouse.sh" health; "$HERE/kafka.sh" health ;;
  *) echo "usage: $0 up [--clickhouse-replicas N]|down|status|health" >&2; exit 2 ;;
esac
