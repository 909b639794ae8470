#!/usr/bin/env bash
# ClickHouse server from Debian's package, run with the project's config on loopback.
# One server by default; `start --replicas N` starts N replicas of one shard (cluster
# `cityops`, macros {shard}/{replica}) with ZooKeeper (zookeeper.sh), each with its own ports
# and data folder (.stack/clickhouse, .stack/clickhouse-2, ...); stop/status/health follow
# the count the last start used.
# Usage: clickhouse.sh install|start [--replicas N]|stop|status|health|logs|kill-replica I
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HERE="$REPO_ROOT/deploy/local/clickhouse"
SERVER_BIN="${CITYOPS_CLICKHOUSE_BIN:-/usr/sbin/clickhouse-server}"
REPLICAS_FILE="$STACK_DIR/clickhouse-replicas"

replica_count() { if [[ -f "$REPLICAS_FILE" ]]; then cat "$REPLICAS_FILE"; else echo 1; fi; }
home_of() { if (($1 == 1)); then echo "$STACK_DIR/clickhouse"; else echo "$STACK_DIR/clickhouse-$1"; fi; }
tcp_port_of() { if (($1 == 1)); then echo "$CH_TCP_PORT"; else echo $((CH_REPLICA_PORT_BASE + 10 * ($1 - 1))); fi; }
http_port_of() { if (($1 == 1)); then echo "$CH_HTTP_PORT"; else echo $((CH_REPLICA_PORT_BASE + 10 * ($1 - 1) + 1)); fi; }
interserver_port_of() { echo $((CH_REPLICA_PORT_BASE + 10 * ($1 - 1) + 2)); }
pidfile_of() { echo "$(home_of "$1")/clickhouse.pid"; }
log_of() { echo "$(home_of "$1")/log/clickhouse-server.err.log"; }

install() {
  if [[ -x "$SERVER_BIN" ]]; then return 0; fi
  command -v apt-get >/dev/null || fail "clickhouse-server missing and no apt-get: install ClickHouse and set CITYOPS_CLICKHOUSE_BIN"
  say "installing clickhouse-server from the distribution's packages"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client) \
    >"$STACK_DIR/clickhouse-apt.log" 2>&1 || fail "apt-get install clickhouse-server failed; see $STACK_DIR/clickhouse-apt.log"
}

# configure I N: replica I's config; with N > 1 also its cluster, macros and ZooKeeper.
configure() {
  local i=$1 n=$2 home conf f
  home=$(home_of "$i"); conf="$home/conf"
  mkdir -p "$conf/users.d" "$conf/config.d" "$home"/{data,tmp,user_files,format_schemas,log}
  for f in config.xml users.xml; do
    sed -e "s#@DATA@#$home#g" -e "s#@CONF@#$conf#g" \
        -e "s#@TCP_PORT@#$(tcp_port_of "$i")#g" -e "s#@HTTP_PORT@#$(http_port_of "$i")#g" \
        "$HERE/$f" >"$conf/$f"
  done
  render_accounts "$conf"
  rm -f "$conf/config.d/cluster.xml"
  if ((n > 1)); then
    local replicas="" r
    for ((r = 1; r <= n; r++)); do
      replicas+="                <replica><host>127.0.0.1</host><port>$(tcp_port_of "$r")</port></replica>\n"
    done
    sed -e "s#@ZK_PORT@#$ZK_PORT#g" -e "s#@REPLICA@#r$i#g" \
        -e "s#@INTERSERVER_PORT@#$(interserver_port_of "$i")#g" -e "s#@REPLICAS@#$replicas#" \
        "$HERE/cluster.xml" >"$conf/config.d/cluster.xml"
  fi
}

# render_accounts CONF: the accounts take their names and passwords from the settings the
# clients use (the renderer generates the passwords into $STACK_DIR/secrets.env at the first
# start, like the hash key); loopback only. A running server reloads them within seconds.
render_accounts() {
  mkdir -p "$1/users.d"
  "$PY" -m cityops.db.localusers "$HERE/users.d/cityops.xml" >"$1/users.d/cityops.xml.new" \
    || fail "could not render the ClickHouse accounts from the settings (see above)"
  mv "$1/users.d/cityops.xml.new" "$1/users.d/cityops.xml"
}

# start_replica I N
start_replica() {
  local replica=$1 n=$2 home pidfile log tcp
  home=$(home_of "$replica"); pidfile=$(pidfile_of "$replica"); log=$(log_of "$replica"); tcp=$(tcp_port_of "$replica")
  if pid_alive "$pidfile"; then
    say "ClickHouse $replica already running (pid $(cat "$pidfile"))"
    render_accounts "$home/conf"  # settings may have changed since it started
    wait_started 30 "$pidfile" healthcheck clickhouse --port "$tcp" \
      || fail "ClickHouse $replica health check failed; log: $log"
    return 0
  fi
  local ports=("$tcp" "$(http_port_of "$replica")")
  ((n > 1)) && ports+=("$(interserver_port_of "$replica")")
  require_free_ports "ClickHouse $replica" "${ports[@]}"
  configure "$replica" "$n"
  say "starting ClickHouse $replica/$n on 127.0.0.1:$tcp (log: $log)"
  # Started directly (no subshell) so that $! is the server itself and stop can signal it.
  cd "$home"
  nohup "$SERVER_BIN" --config-file="$home/conf/config.xml" \
    >"$home/log/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  cd - >/dev/null
  if ! wait_started 60 "$pidfile" healthcheck clickhouse --port "$tcp"; then
    tail -n 30 "$log" "$home/log/stdout.log" >&2 || true
    fail "ClickHouse $replica exited or did not become healthy within 60 s; log: $log"
  fi
  say "ClickHouse $replica healthy"
}

start() {
  local n
  n=$(replica_count)
  if [[ "${1:-}" == --replicas ]]; then n=${2:?--replicas needs a number}; fi
  [[ "$n" =~ ^[1-9]$ ]] || fail "--replicas takes 1 to 9, not '$n'"
  mkdir -p "$STACK_DIR"
  install
  local was i; was=$(replica_count)
  if ((n != was)); then
    for ((i = 1; i <= was; i++)); do
      if pid_alive "$(pidfile_of "$i")"; then say "ClickHouse: $was replica(s) running, $n asked: restarting"; stop; break; fi
    done
  fi
  if ((n > 1)); then "$REPO_ROOT/deploy/local/zookeeper.sh" start; fi
  echo "$n" >"$REPLICAS_FILE"
  for ((i = 1; i <= n; i++)); do start_replica "$i" "$n"; done
}

stop() {
  local n i; n=$(replica_count)
  for ((i = n; i >= 1; i--)); do stop_pidfile "ClickHouse $i" "$(pidfile_of "$i")"; done
  if ((n > 1)); then "$REPO_ROOT/deploy/local/zookeeper.sh" stop; fi
}

status() {
  local n i rc=0; n=$(replica_count)
  for ((i = 1; i <= n; i++)); do
    if pid_alive "$(pidfile_of "$i")"; then say "ClickHouse $i running (pid $(cat "$(pidfile_of "$i")"))"
    else say "ClickHouse $i stopped"; rc=3; fi
  done
  if ((n > 1)); then "$REPO_ROOT/deploy/local/zookeeper.sh" status || rc=3; fi
  return $rc
}

health() {
  local n i; n=$(replica_count)
  if ((n > 1)); then "$REPO_ROOT/deploy/local/zookeeper.sh" health; fi
  for ((i = 1; i <= n; i++)); do
    pid_alive "$(pidfile_of "$i")" || fail "ClickHouse $i of this stack is not running ($(pidfile_of "$i"))"
    healthcheck clickhouse --port "$(tcp_port_of "$i")" || fail "ClickHouse $i health check failed; log: $(log_of "$i")"
  done
}

# kill-replica I: SIGKILL replica I (fault drills); `start` brings it back.
kill_replica() {
  local pidfile; pidfile=$(pidfile_of "${1:?kill-replica needs a replica number}")
  pid_alive "$pidfile" || fail "ClickHouse $1 is not running"
  kill -9 "$(cat "$pidfile")"
  say "ClickHouse $1 killed"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  health) health && say "ClickHouse healthy" ;;
  logs) tail -n 100 "$(log_of "${2:-1}")" ;;
  kill-replica) kill_replica "${2:-}" ;;
  *) echo "usage: $0 install|start [--replicas N]|stop|status|health|logs [I]|kill-replica I" >&2; exit 2 ;;
esac
