#!/usr/bin/env bash
# Apache Kafka 4.x, KRaft, single node on 127.0.0.1:$CITYOPS_KAFKA_PORT (default 9092).
# Usage: kafka.sh install|start|stop|status|health|logs
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HERE="$REPO_ROOT/deploy/local/kafka"
HOME_DIR="$STACK_DIR/kafka"
LIBS="$HOME_DIR/libs"
DATA="$HOME_DIR/data"
LOG="$HOME_DIR/kafka.log"
PIDFILE="$HOME_DIR/kafka.pid"
PROPS="$HOME_DIR/server.properties"

install() {
  mkdir -p "$HOME_DIR"
  local stamp="$LIBS/.pom.sha"
  local want; want=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  command -v mvn >/dev/null || fail "mvn not found: install Maven (apt-get install maven)"
  command -v java >/dev/null || fail "java not found: install a Java 17 runtime"
  say "resolving Kafka jars with Maven (cached in ~/.m2)"
  rm -rf "$LIBS"
  mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime >"$HOME_DIR/mvn.log" 2>&1 \
    || fail "Maven could not resolve Kafka; see $HOME_DIR/mvn.log"
  echo "$want" >"$stamp"
}

configure() {
  sed -e "s#@DATA@#$DATA#g" -e "s#@PORT@#$KAFKA_PORT#g" \
      -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      "$HERE/server.properties.tmpl" >"$PROPS"
  if [[ ! -f "$DATA/meta.properties" ]]; then
    say "formatting KRaft storage in $DATA"
    mkdir -p "$DATA"
    local cluster_id
    cluster_id=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    java -Dlog4j2.configurationFile="$HERE/log4j2.yaml" -cp "$LIBS/*" kafka.tools.StorageTool \
      format -t "$cluster_id" -c "$PROPS" >>"$LOG" 2>&1 \
      || fail "could not format Kafka storage; see $LOG"
  fi
}

start() {
  if pid_alive "$PIDFILE"; then say "Kafka already running (pid $(cat "$PIDFILE"))"; health; return 0; fi
  require_free_ports Kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  install
  configure
  say "starting Kafka on 127.0.0.1:$KAFKA_PORT (log: $LOG)"
  KAFKA_HEAP="${CITYOPS_KAFKA_HEAP:--Xmx1g -Xms256m}"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/log4j2.yaml" \
    -cp "$LIBS/*" kafka.Kafka "$PROPS" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if ! wait_started 90 "$PIDFILE" healthcheck kafka --bootstrap "127.0.0.1:$KAFKA_PORT"; then
    tail -n 30 "$LOG" >&2 || true
    fail "Kafka exited or did not become healthy within 90 s; log: $LOG"
  fi
  say "Kafka healthy"
}

health() {
  pid_alive "$PIDFILE" || fail "Kafka of this stack is not running ($PIDFILE)"
  healthcheck kafka --bootstrap "127.0.0.1:$KAFKA_PORT" || fail "Kafka health check failed; log: $LOG"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pidfile Kafka "$PIDFILE" ;;
  status) if pid_alive "$PIDFILE"; then say "Kafka running (pid $(cat "$PIDFILE"))"; else say "Kafka stopped"; exit 3; fi ;;
  health) health && say "Kafka healthy" ;;
  logs) tail -n 100 "$LOG" ;;
  *) echo "usage: $0 install|start|stop|status|health|logs" >&2; exit 2 ;;
esac
