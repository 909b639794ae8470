# Shared helpers of the local stack scripts. Sourced, not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${CITYOPS_STACK_DIR:-$REPO_ROOT/.stack}"
PY="${CITYOPS_PYTHON:-$REPO_ROOT/.venv/bin/python}"
KAFKA_PORT="${CITYOPS_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${CITYOPS_KAFKA_CONTROLLER_PORT:-9093}"
CH_TCP_PORT="${CITYOPS_CH_TCP_PORT:-9000}"
CH_HTTP_PORT="${CITYOPS_CH_HTTP_PORT:-8123}"

say() { printf '\033[1m[stack]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[stack] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

# pid_alive PIDFILE: true when the file names a running process.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND once a second until it passes.
wait_for() {
  local seconds=$1 what=$2; shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}

# stop_pidfile NAME PIDFILE: SIGTERM, wait up to 30 s, then SIGKILL.
stop_pidfile() {
  local name=$1 pidfile=$2
  if ! pid_alive "$pidfile"; then say "$name is not running"; rm -f "$pidfile"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "$name stopped"; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  say "$name killed after 30 s"
}

healthcheck() { "$PY" -m cityops.stackcheck "$@"; }
