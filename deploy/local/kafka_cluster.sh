#!/usr/bin/env bash
# A local Kafka cluster of N combined broker+controller nodes (KRaft quorum across them), each
# one kafka.sh with its own node id, ports and data folder; for the multi-broker fault tier.
# Usage: kafka_cluster.sh start N | stop | status | health N | start-broker I N | pid I N
# Broker 1 listens on $CITYOPS_KAFKA_PORT/$CITYOPS_KAFKA_CONTROLLER_PORT like the single
# broker (so one runs at a time); broker I>1 on $CITYOPS_KAFKA_CLUSTER_PORT_BASE+2(I-2) and
# the port after it (default base: the Kafka port + 10). Data: .stack/kafka-cluster-N/broker-I
# (or $CITYOPS_KAFKA_CLUSTER_DIR/broker-I: the fault tier's throwaway cluster).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_SH="$REPO_ROOT/deploy/local/kafka.sh"
PORT_BASE="${CITYOPS_KAFKA_CLUSTER_PORT_BASE:-$((KAFKA_PORT + 10))}"

client_port() { if (($1 == 1)); then echo "$KAFKA_PORT"; else echo $((PORT_BASE + 2 * ($1 - 2))); fi; }
controller_port() { if (($1 == 1)); then echo "$KAFKA_CONTROLLER_PORT"; else echo $((PORT_BASE + 2 * ($1 - 2) + 1)); fi; }
cluster_dir() { echo "${CITYOPS_KAFKA_CLUSTER_DIR:-$STACK_DIR/kafka-cluster-$1}"; }

voters() {
  local n=$1 i out=()
  for ((i = 1; i <= n; i++)); do out+=("$i@127.0.0.1:$(controller_port "$i")"); done
  local IFS=,; echo "${out[*]}"
}

# bootstrap N: every broker's client address, comma-separated (CITYOPS_KAFKA__BOOTSTRAP_SERVERS).
bootstrap() {
  local n=$1 i out=()
  for ((i = 1; i <= n; i++)); do out+=("127.0.0.1:$(client_port "$i")"); done
  local IFS=,; echo "${out[*]}"
}

# The cluster's id, made once per cluster size: every node's storage is formatted with it.
cluster_id() {
  local file; file="$(cluster_dir "$1")/cluster.id"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$(dirname "$file")"
    java -cp "$STACK_DIR/kafka/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 >"$file"
  fi
  cat "$file"
}

# on_broker I N COMMAND: run kafka.sh COMMAND as broker I of an N-node cluster.
on_broker() {
  local i=$1 n=$2; shift 2
  CITYOPS_KAFKA_HOME="$(cluster_dir "$n")/broker-$i" CITYOPS_KAFKA_NODE_ID="$i" \
  CITYOPS_KAFKA_PORT="$(client_port "$i")" CITYOPS_KAFKA_CONTROLLER_PORT="$(controller_port "$i")" \
  CITYOPS_KAFKA_VOTERS="$(voters "$n")" CITYOPS_KAFKA_CLUSTER_ID="$(cluster_id "$n")" \
  CITYOPS_KAFKA_INTERNAL_RF="$(( n >= 3 ? 3 : n ))" "$KAFKA_SH" "$@"
}

start() {
  local n=$1 broker
  (( n >= 1 )) || fail "the number of brokers must be at least 1"
  "$KAFKA_SH" install
  # Launched together: no node becomes healthy before a majority of the voters runs.
  for ((broker = 1; broker <= n; broker++)); do
    CITYOPS_KAFKA_NO_WAIT=1 on_broker "$broker" "$n" start
  done
  health "$n"
  say "Kafka cluster of $n brokers healthy; clients: CITYOPS_KAFKA__BOOTSTRAP_SERVERS=$(bootstrap "$n")"
}

health() {
  local n=$1 broker  # not `i`: wait_started counts with a global `i`
  for ((broker = 1; broker <= n; broker++)); do
    local pidfile; pidfile="$(cluster_dir "$n")/broker-$broker/kafka.pid"
    wait_started 90 "$pidfile" healthcheck kafka --bootstrap "127.0.0.1:$(client_port "$broker")" \
      || fail "broker $broker of $n exited or did not become healthy within 90 s; log: $(cluster_dir "$n")/broker-$broker/kafka.log"
  done
}

# Every broker of every cluster size this stack has run.
pidfiles() {
  if [[ -n "${CITYOPS_KAFKA_CLUSTER_DIR:-}" ]]; then compgen -G "$CITYOPS_KAFKA_CLUSTER_DIR/broker-*/kafka.pid" || true
  else compgen -G "$STACK_DIR/kafka-cluster-*/broker-*/kafka.pid" || true; fi
}

stop() {
  local pidfile
  for pidfile in $(pidfiles); do stop_pidfile "Kafka $(basename "$(dirname "$pidfile")")" "$pidfile"; done
}

status() {
  local pidfile rc=3
  for pidfile in $(pidfiles); do
    if pid_alive "$pidfile"; then say "Kafka $(basename "$(dirname "$pidfile")") running (pid $(cat "$pidfile"))"; rc=0; fi
  done
  return $rc
}

case "${1:-}" in
  start) start "${2:?usage: kafka_cluster.sh start N}" ;;
  start-broker) CITYOPS_KAFKA_NO_WAIT=1 on_broker "${2:?broker}" "${3:?brokers}" start
                health "$3" ;;
  stop) stop ;;
  status) status ;;
  health) health "${2:?usage: kafka_cluster.sh health N}" ;;
  bootstrap) bootstrap "${2:?usage: kafka_cluster.sh bootstrap N}" ;;
  pid) cat "$(cluster_dir "${3:?brokers}")/broker-${2:?broker}/kafka.pid" ;;
  *) echo "usage: $0 start N|stop|status|health N|start-broker I N|bootstrap N|pid I N" >&2; exit 2 ;;
esac
