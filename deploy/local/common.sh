# Shared helpers of the local stack scripts. Sourced, not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${CITYOPS_STACK_DIR:-$REPO_ROOT/.stack}"
PY="${CITYOPS_PYTHON:-$REPO_ROOT/.venv/bin/python}"
KAFKA_PORT="${CITYOPS_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${CITYOPS_KAFKA_CONTROLLER_PORT:-9093}"
CH_TCP_PORT="${CITYOPS_CH_TCP_PORT:-9000}"
CH_HTTP_PORT="${CITYOPS_CH_HTTP_PORT:-8123}"
# Replicated ClickHouse (stack.sh up --clickhouse-replicas N): ZooKeeper's port, and the
# base of the ports of replica i >= 2 (tcp base+10(i-1), http +1, interserver +2; replica 1
# keeps the ports above and takes base+2 for interserver).
ZK_PORT="${CITYOPS_ZK_PORT:-2181}"
CH_REPLICA_PORT_BASE="${CITYOPS_CH_REPLICA_PORT_BASE:-9100}"

say() { printf '\033[1m[stack]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[stack] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

# pid_alive PIDFILE: true when the file names a running process.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_started SECONDS PIDFILE COMMAND...: retry COMMAND once a second, for a server this
# script just started; gives up at once if that process exits (a port another server
# answers on must not pass for ours).
wait_started() {
  local seconds=$1 pidfile=$2 i; shift 2
  for ((i = 0; i < seconds; i++)); do
    pid_alive "$pidfile" || return 1
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_free_ports NAME PORT...: refuse to start next to a server this stack did not start.
require_free_ports() {
  local name=$1 port; shift
  for port in "$@"; do
    if port_in_use "$port"; then
      fail "$name cannot start: 127.0.0.1:$port is taken by a process this stack did not start (another checkout's stack? stop it there, or pick other ports: CITYOPS_KAFKA_PORT, CITYOPS_KAFKA_CONTROLLER_PORT, CITYOPS_CH_TCP_PORT, CITYOPS_CH_HTTP_PORT, CITYOPS_ZK_PORT, CITYOPS_CH_REPLICA_PORT_BASE)"
    fi
  done
}

# stop_pidfile NAME PIDFILE: SIGTERM, wait up to 30 s, then SIGKILL.
stop_pidfile() {
  local name=$1 pidfile=$2
  if ! pid_alive "$pidfile"; then say "$name is not running"; rm -f "$pidfile"; return 0; fi
  local pid i; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "$name stopped"; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  say "$name killed after 30 s"
}

# maven_libs NAME POM_DIR HOME_DIR LIBS: resolve POM_DIR/pom.xml's jars into LIBS (once per
# pom change; Maven caches in ~/.m2).
maven_libs() {
  local name=$1 pom_dir=$2 home=$3 libs=$4
  mkdir -p "$home"
  local stamp="$libs/.pom.sha"
  local want; want=$(sha256sum "$pom_dir/pom.xml" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  command -v mvn >/dev/null || fail "mvn not found: install Maven (apt-get install maven)"
  command -v java >/dev/null || fail "java not found: install a Java 17 runtime"
  say "resolving $name jars with Maven (cached in ~/.m2)"
  rm -rf "$libs"
  mvn -q -B -f "$pom_dir/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$libs" -DincludeScope=runtime >"$home/mvn.log" 2>&1 \
    || fail "Maven could not resolve $name; see $home/mvn.log"
  echo "$want" >"$stamp"
}

healthcheck() { "$PY" -m cityops.stackcheck "$@"; }
