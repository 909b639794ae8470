#!/usr/bin/env bash
# Apache Kafka 4.x, KRaft, single node on 127.0.0.1:$CITYOPS_KAFKA_PORT (default 9092).
# Usage: kafka.sh install|start|stop|status|health|logs
# CITYOPS_KAFKA_SECURITY=sasl_ssl: the listener takes SASL (SCRAM-SHA-512 or PLAIN) over
# mutual TLS only (a client certificate signed by the local CA), and authorizes every request
# by ACLs (`cityops kafka acls`); certificates (keytool) and the SCRAM users (admin, the client
# account and one per role) are made at its first start, secrets kept under
# .stack/kafka/{tls,secrets}. The default, plaintext, is what the tests and demo use.
# One broker of a cluster (kafka_cluster.sh) sets CITYOPS_KAFKA_HOME, _NODE_ID, _VOTERS,
# _CLUSTER_ID and _INTERNAL_RF; CITYOPS_KAFKA_NO_WAIT=1 starts it without waiting for its
# quorum (the cluster script waits once every voter is launched).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HERE="$REPO_ROOT/deploy/local/kafka"
HOME_DIR="${CITYOPS_KAFKA_HOME:-$STACK_DIR/kafka}"
LIBS="$STACK_DIR/kafka/libs"
NODE_ID="${CITYOPS_KAFKA_NODE_ID:-1}"
VOTERS="${CITYOPS_KAFKA_VOTERS:-1@127.0.0.1:$KAFKA_CONTROLLER_PORT}"
INTERNAL_RF="${CITYOPS_KAFKA_INTERNAL_RF:-1}"
SECURITY="${CITYOPS_KAFKA_SECURITY:-plaintext}"
TLS="$HOME_DIR/tls"
SECRETS="$HOME_DIR/secrets"
# Each mode keeps its own storage: SCRAM users exist only in storage formatted for them.
if [[ "$SECURITY" == sasl_ssl ]]; then DATA="$HOME_DIR/data-sasl_ssl"; else DATA="$HOME_DIR/data"; fi
CLIENT_USER="${CITYOPS_KAFKA__SASL_USERNAME:-cityops}"
# The role accounts `cityops kafka acls` grants (kafka.connector_user, kafka.worker_user).
ROLE_USERS=("${CITYOPS_KAFKA__CONNECTOR_USER:-cityops-connector}" "${CITYOPS_KAFKA__WORKER_USER:-cityops-worker}")
LOG="$HOME_DIR/kafka.log"
PIDFILE="$HOME_DIR/kafka.pid"
PROPS="$HOME_DIR/server.properties"

install() { maven_libs Kafka "$HERE" "$HOME_DIR" "$LIBS"; }

# secret NAME: a random secret kept in $SECRETS/NAME (made on first use, owner-only).
secret() {
  local file="$SECRETS/$1"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$file")
  fi
  cat "$file"
}

# The client account's password: the settings' (CITYOPS_KAFKA__SASL_PASSWORD) if given, else
# a generated one. Either way it is written down: SCRAM users are created when the storage
# is formatted, so later starts must present the same one.
client_password() {
  if [[ -n "${CITYOPS_KAFKA__SASL_PASSWORD:-}" && ! -s "$SECRETS/client.password" ]]; then
    mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
    (umask 077 && printf '%s' "$CITYOPS_KAFKA__SASL_PASSWORD" >"$SECRETS/client.password")
  fi
  secret client.password
}

# A local CA and a broker certificate for 127.0.0.1/localhost, signed by it (JDK keytool).
make_tls() {
  [[ -f "$TLS/broker.p12" ]] && return 0
  command -v keytool >/dev/null || fail "keytool not found: install a Java 17 JDK"
  say "making a local CA and the broker's TLS certificate in $TLS"
  local pass; pass=$(secret keystore.password)
  mkdir -p "$TLS"
  local kt=(keytool -storetype PKCS12 -storepass "$pass")
  {
    "${kt[@]}" -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=cityops local CA" -ext bc:c -keystore "$TLS/ca.p12"
    "${kt[@]}" -exportcert -rfc -alias ca -keystore "$TLS/ca.p12" -file "$TLS/ca.pem"
    "${kt[@]}" -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=localhost" -keystore "$TLS/broker.p12"
    "${kt[@]}" -certreq -alias broker -keystore "$TLS/broker.p12" \
      | "${kt[@]}" -gencert -alias ca -keystore "$TLS/ca.p12" -validity 3650 -rfc \
          -ext SAN=dns:localhost,ip:127.0.0.1 >"$TLS/broker.pem"
    "${kt[@]}" -importcert -noprompt -alias ca -file "$TLS/ca.pem" -keystore "$TLS/broker.p12"
    "${kt[@]}" -importcert -noprompt -alias ca -file "$TLS/ca.pem" -keystore "$TLS/truststore.p12"
    "${kt[@]}" -importcert -noprompt -alias broker -file "$TLS/broker.pem" -keystore "$TLS/broker.p12"
  } >>"$LOG" 2>&1 || { rm -rf "$TLS"; fail "keytool could not make the certificates; see $LOG"; }
}

# The clients' certificate (mutual TLS), signed by the same CA: client.pem and client.key
# (PEM, what Python's ssl module loads; keytool makes the key pair, openssl exports the key).
make_client_tls() {
  [[ -f "$TLS/client.key" ]] && return 0
  command -v openssl >/dev/null || fail "openssl not found: needed to export the client key"
  say "making the clients' TLS certificate in $TLS"
  local pass; pass=$(secret keystore.password)
  local kt=(keytool -storetype PKCS12 -storepass "$pass")
  {
    "${kt[@]}" -genkeypair -alias client -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=cityops-client" -keystore "$TLS/client.p12"
    "${kt[@]}" -certreq -alias client -keystore "$TLS/client.p12" \
      | "${kt[@]}" -gencert -alias ca -keystore "$TLS/ca.p12" -validity 3650 -rfc >"$TLS/client.pem"
    (umask 077 && openssl pkcs12 -in "$TLS/client.p12" -passin "pass:$pass" -nodes -nocerts \
      | openssl pkey -out "$TLS/client.key")
  } >>"$LOG" 2>&1 || { rm -f "$TLS"/client.*; fail "could not make the client certificate; see $LOG"; }
}

configure() {
  sed -e "s#@DATA@#$DATA#g" -e "s#@PORT@#$KAFKA_PORT#g" \
      -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@NODE_ID@#$NODE_ID#g" -e "s#@VOTERS@#$VOTERS#g" \
      -e "s#@INTERNAL_RF@#$INTERNAL_RF#g" -e "s#@INTERNAL_MIN_ISR@#$(( INTERNAL_RF > 1 ? 2 : 1 ))#g" \
      "$HERE/server.properties.tmpl" >"$PROPS"
  local format_args=()
  if [[ "$SECURITY" == sasl_ssl ]]; then
    make_tls
    make_client_tls
    local admin client user plain
    admin=$(secret admin.password); client=$(client_password)
    format_args=(--add-scram "SCRAM-SHA-512=[name=admin,password=$admin]"
                 --add-scram "SCRAM-SHA-512=[name=$CLIENT_USER,password=$client]")
    plain="user_admin=\"\${dir:$SECRETS:admin.password}\" user_$CLIENT_USER=\"\${dir:$SECRETS:client.password}\""
    for user in "${ROLE_USERS[@]}"; do
      format_args+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(secret "$user.password")]")
      plain+=" user_$user=\"\${dir:$SECRETS:$user.password}\""
    done
    sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
        -e "s#@TLS@#$TLS#g" -e "s#@SECRETS@#$SECRETS#g" -e "s#@PLAIN_USERS@#$plain#g" \
        "$HERE/sasl_ssl.properties.tmpl" >>"$PROPS"
  elif [[ "$SECURITY" != plaintext ]]; then
    fail "CITYOPS_KAFKA_SECURITY must be plaintext or sasl_ssl, not $SECURITY"
  fi
  if [[ ! -f "$DATA/meta.properties" ]]; then
    say "formatting KRaft storage in $DATA"
    mkdir -p "$DATA"
    local cluster_id
    cluster_id="${CITYOPS_KAFKA_CLUSTER_ID:-}"
    [[ -n "$cluster_id" ]] || cluster_id=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    java -Dlog4j2.configurationFile="$HERE/log4j2.yaml" -cp "$LIBS/*" kafka.tools.StorageTool \
      format -t "$cluster_id" -c "$PROPS" "${format_args[@]}" >>"$LOG" 2>&1 \
      || fail "could not format Kafka storage; see $LOG"
  fi
}

# The health check connects the way clients of this mode must (the same KafkaSettings).
kafka_health() {
  if [[ "$SECURITY" == sasl_ssl ]]; then  # as the admin: only a super user may make a topic
    CITYOPS_KAFKA__SECURITY_PROTOCOL=SASL_SSL CITYOPS_KAFKA__SASL_MECHANISM=SCRAM-SHA-512 \
    CITYOPS_KAFKA__SASL_USERNAME=admin CITYOPS_KAFKA__SASL_PASSWORD="$(secret admin.password)" \
    CITYOPS_KAFKA__SSL_CAFILE="$TLS/ca.pem" CITYOPS_KAFKA__SSL_CERTFILE="$TLS/client.pem" \
    CITYOPS_KAFKA__SSL_KEYFILE="$TLS/client.key" healthcheck kafka --bootstrap "127.0.0.1:$KAFKA_PORT"
  else
    env -u CITYOPS_KAFKA__SASL_MECHANISM CITYOPS_KAFKA__SECURITY_PROTOCOL=PLAINTEXT \
      "$PY" -m cityops.stackcheck kafka --bootstrap "127.0.0.1:$KAFKA_PORT"
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
  if [[ -n "${CITYOPS_KAFKA_NO_WAIT:-}" ]]; then return 0; fi
  if ! wait_started 90 "$PIDFILE" kafka_health; then
    tail -n 30 "$LOG" >&2 || true
    fail "Kafka exited or did not become healthy within 90 s; log: $LOG"
  fi
  say "Kafka healthy"
  if [[ "$SECURITY" == sasl_ssl ]]; then
    say "clients: CITYOPS_KAFKA__SECURITY_PROTOCOL=SASL_SSL CITYOPS_KAFKA__SASL_MECHANISM=SCRAM-SHA-512 (or PLAIN) CITYOPS_KAFKA__SSL_CAFILE=$TLS/ca.pem CITYOPS_KAFKA__SSL_CERTFILE=$TLS/client.pem CITYOPS_KAFKA__SSL_KEYFILE=$TLS/client.key; CITYOPS_KAFKA__SASL_USERNAME admin (kafka init, kafka acls), ${ROLE_USERS[*]} (connectors, workers: after \`cityops kafka acls\`) or $CLIENT_USER, each password in $SECRETS/<user>.password ($CLIENT_USER: client.password)"
  fi
}

health() {
  pid_alive "$PIDFILE" || fail "Kafka of this stack is not running ($PIDFILE)"
  kafka_health || fail "Kafka health check failed; log: $LOG"
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
