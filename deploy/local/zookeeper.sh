#!/usr/bin/env bash
# ZooKeeper 3.9 standalone on 127.0.0.1:$CITYOPS_ZK_PORT (default 2181): the coordination
# the replicated ClickHouse of `stack.sh up --clickhouse-replicas N` needs. Jars come from
# Maven Central (deploy/local/zookeeper/pom.xml), as Kafka's do.
# Usage: zookeeper.sh install|start|stop|status|health|logs
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HERE="$REPO_ROOT/deploy/local/zookeeper"
HOME_DIR="$STACK_DIR/zookeeper"
LIBS="$HOME_DIR/libs"
LOG="$HOME_DIR/zookeeper.log"
PIDFILE="$HOME_DIR/zookeeper.pid"

install() { maven_libs ZooKeeper "$HERE" "$HOME_DIR" "$LIBS"; }

# srvr over the client port names the server's mode only once it serves sessions (ruok
# answers imok earlier, even from a server whose start failed half-way).
zk_ok() { [[ "$(exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" && printf srvr >&3 && cat <&3)" == *"Mode: standalone"* ]]; }

start() {
  if pid_alive "$PIDFILE"; then say "ZooKeeper already running (pid $(cat "$PIDFILE"))"; return 0; fi
  require_free_ports ZooKeeper "$ZK_PORT"
  install
  mkdir -p "$HOME_DIR/data"
  say "starting ZooKeeper on 127.0.0.1:$ZK_PORT (log: $LOG)"
  nohup java -Xmx256m -Dzookeeper.admin.enableServer=false -Dzookeeper.4lw.commands.whitelist=srvr \
    -Dzookeeper.clientPortAddress=127.0.0.1 -cp "$LIBS/*" \
    org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_PORT" "$HOME_DIR/data" \
    >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_started 60 "$PIDFILE" zk_ok || { tail -n 30 "$LOG" >&2; fail "ZooKeeper did not start within 60 s; log: $LOG"; }
  say "ZooKeeper healthy"
}

health() {
  pid_alive "$PIDFILE" || fail "ZooKeeper of this stack is not running ($PIDFILE)"
  zk_ok || fail "ZooKeeper does not answer ruok; log: $LOG"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pidfile ZooKeeper "$PIDFILE" ;;
  status) if pid_alive "$PIDFILE"; then say "ZooKeeper running (pid $(cat "$PIDFILE"))"; else say "ZooKeeper stopped"; exit 3; fi ;;
  health) health && say "ZooKeeper healthy" ;;
  logs) tail -n 100 "$LOG" ;;
  *) echo "usage: $0 install|start|stop|status|health|logs" >&2; exit 2 ;;
esac
