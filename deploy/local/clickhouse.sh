#!/usr/bin/env bash
# ClickHouse server from Debian's package, run with the project's config on loopback.
# Usage: clickhouse.sh install|start|stop|status|health|logs
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HERE="$REPO_ROOT/deploy/local/clickhouse"
HOME_DIR="$STACK_DIR/clickhouse"
CONF="$HOME_DIR/conf"
PIDFILE="$HOME_DIR/clickhouse.pid"
LOG="$HOME_DIR/log/clickhouse-server.err.log"
SERVER_BIN="${CITYOPS_CLICKHOUSE_BIN:-/usr/sbin/clickhouse-server}"

install() {
  if [[ -x "$SERVER_BIN" ]]; then return 0; fi
  command -v apt-get >/dev/null || fail "clickhouse-server missing and no apt-get: install ClickHouse and set CITYOPS_CLICKHOUSE_BIN"
  say "installing clickhouse-server from the distribution's packages"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client) \
    >"$STACK_DIR/clickhouse-apt.log" 2>&1 || fail "apt-get install clickhouse-server failed; see $STACK_DIR/clickhouse-apt.log"
}

configure() {
  mkdir -p "$CONF/users.d" "$HOME_DIR"/{data,tmp,user_files,format_schemas,log}
  for f in config.xml users.xml; do
    sed -e "s#@DATA@#$HOME_DIR#g" -e "s#@CONF@#$CONF#g" \
        -e "s#@TCP_PORT@#$CH_TCP_PORT#g" -e "s#@HTTP_PORT@#$CH_HTTP_PORT#g" \
        "$HERE/$f" >"$CONF/$f"
  done
  render_accounts
}

# The accounts take their names, passwords and networks from the settings the clients use;
# a running server reloads them within seconds.
render_accounts() {
  mkdir -p "$CONF/users.d"
  "$PY" -m cityops.db.localusers "$HERE/users.d/cityops.xml" >"$CONF/users.d/cityops.xml.new" \
    || fail "could not render the ClickHouse accounts from the settings (see above)"
  mv "$CONF/users.d/cityops.xml.new" "$CONF/users.d/cityops.xml"
}

start() {
  mkdir -p "$STACK_DIR"
  if pid_alive "$PIDFILE"; then
    say "ClickHouse already running (pid $(cat "$PIDFILE"))"
    render_accounts  # settings may have changed since it started
    wait_started 30 "$PIDFILE" healthcheck clickhouse --port "$CH_TCP_PORT" || health
    return 0
  fi
  require_free_ports ClickHouse "$CH_TCP_PORT" "$CH_HTTP_PORT"
  install
  configure
  say "starting ClickHouse on 127.0.0.1:$CH_TCP_PORT (log: $LOG)"
  # Started directly (no subshell) so that $! is the server itself and stop can signal it.
  cd "$HOME_DIR"
  nohup "$SERVER_BIN" --config-file="$CONF/config.xml" \
    >"$HOME_DIR/log/stdout.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  cd - >/dev/null
  if ! wait_started 60 "$PIDFILE" healthcheck clickhouse --port "$CH_TCP_PORT"; then
    tail -n 30 "$LOG" "$HOME_DIR/log/stdout.log" >&2 || true
    fail "ClickHouse exited or did not become healthy within 60 s; log: $LOG"
  fi
  say "ClickHouse healthy"
}

health() {
  pid_alive "$PIDFILE" || fail "ClickHouse of this stack is not running ($PIDFILE)"
  healthcheck clickhouse --port "$CH_TCP_PORT" || fail "ClickHouse health check failed; log: $LOG"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pidfile ClickHouse "$PIDFILE" ;;
  status) if pid_alive "$PIDFILE"; then say "ClickHouse running (pid $(cat "$PIDFILE"))"; else say "ClickHouse stopped"; exit 3; fi ;;
  health) health && say "ClickHouse healthy" ;;
  logs) tail -n 100 "$LOG" ;;
  *) echo "usage: $0 install|start|stop|status|health|logs" >&2; exit 2 ;;
esac
