#!/usr/bin/env bash
# The whole local stack: up (install + start + health), down, status.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$REPO_ROOT/deploy/local"
case "${1:-}" in
  up) "$HERE/clickhouse.sh" start; "$HERE/kafka.sh" start ;;
  down) "$HERE/kafka.sh" stop; "$HERE/clickhouse.sh" stop ;;
  status) rc=0; "$HERE/clickhouse.sh" status || rc=$?; "$HERE/kafka.sh" status || rc=$?; exit $rc ;;
  health) "$HERE/clickhouse.sh" health; "$HERE/kafka.sh" health ;;
  *) echo "usage: $0 up|down|status|health" >&2; exit 2 ;;
esac
