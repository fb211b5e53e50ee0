# Sourced by each sample's record.sh: build or name the program, run it under strace, check that
# nothing is left running. Each recording runs in a new session (setsid) and, once it ends or its
# time is up, the whole process group is killed: strace 6.1 does not kill its tracees when it dies,
# so killing strace alone would leave a hung program running.
set -euo pipefail
SAMPLE_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
cd "$SAMPLE_DIR"
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
PROG=()

build_c() { gcc -O0 -pthread -o "$BUILD/prog" "$1"; PROG=("$BUILD/prog" "${@:2}"); }
# The interpreter itself, not a wrapper script (pyenv shims fork a shell pipeline first).
use_python() { PROG=("$(python3 -c 'import sys; print(sys.executable)')" "$SAMPLE_DIR/$1" "${@:2}"); }

# trace SECONDS STRACE-ARGS...: one recording, cut after SECONDS if the program hangs. strace's
# own output (when not written with -o) goes to $TRACE_STDERR; $TRACER runs instead of strace.
trace() {
  local seconds=$1
  shift
  setsid "${TRACER:-strace}" "$@" "${PROG[@]}" >/dev/null 2>"${TRACE_STDERR:-/dev/null}" &
  local leader=$!
  for ((tick = 0; tick < seconds * 10; tick++)); do
    kill -0 "$leader" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$leader" 2>/dev/null || true
  wait "$leader" 2>/dev/null || true
}

# The two recordings every sample has: one -f log and one -ff directory, with times and durations.
record_standard() {
  local seconds=${1:-2}
  rm -rf ff trace-f.log && mkdir -p ff
  trace "$seconds" -f -tt -T -o trace-f.log
  trace "$seconds" -ff -tt -T -o ff/trace
  check_nothing_left
}

check_nothing_left() {
  sleep 0.5
  if pgrep -f "${PROG[*]}" >/dev/null; then
    echo "record.sh: processes of ${PROG[*]} are still running" >&2
    pkill -KILL -f "${PROG[*]}" || true
    exit 1
  fi
}
