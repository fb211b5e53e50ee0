# Sourced by each sample's record.sh: build or name the program, run it under strace, check that
# nothing is left running. A hanging program is bounded by `timeout -s KILL` on strace: strace sets
# PTRACE_O_EXITKILL on the tracees it starts, so they die with it.
set -euo pipefail
SAMPLE_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
cd "$SAMPLE_DIR"
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
PROG=()

build_c() { gcc -O0 -pthread -o "$BUILD/prog" "$1"; PROG=("$BUILD/prog" "${@:2}"); }
# The interpreter itself, not a wrapper script (pyenv shims fork a shell pipeline first).
use_python() { PROG=("$(python3 -c 'import sys; print(sys.executable)')" "$SAMPLE_DIR/$1" "${@:2}"); }

# trace SECONDS STRACE-ARGS...: one recording, cut after SECONDS if the program hangs.
trace() {
  local seconds=$1
  shift
  timeout -s KILL "$seconds" strace "$@" "${PROG[@]}" >/dev/null 2>&1 || true
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
