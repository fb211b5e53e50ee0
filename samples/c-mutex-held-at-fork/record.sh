#!/usr/bin/env bash
# Records this folder's traces: builds the program and runs it under strace for 2 s (it hangs).
# Killing strace with SIGKILL kills its tracees (strace sets PTRACE_O_EXITKILL), so nothing is left.
set -euo pipefail
cd "$(dirname "$0")"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
gcc -O0 -pthread -o "$build/mutex-held-at-fork" mutex-held-at-fork.c
run() { timeout -s KILL 2 strace "$@" "$build/mutex-held-at-fork" || true; }
rm -rf ff shapes && mkdir -p ff shapes
run -f -tt -T -o trace-f.log
run -ff -tt -T -o ff/trace
run -f -o shapes/plain.log
run -f -t -o shapes/t.log
run -f -ttt -o shapes/ttt.log
run -f -r -o shapes/r.log
run -f -tt -T -y -o shapes/y.log
run -f -tt -T -yy -o shapes/yy.log
run -f -k -o shapes/k.log
run -f -X raw -o shapes/x-raw.log
run -f -X verbose -o shapes/x-verbose.log
run -f -v -s 200 -o shapes/v-s200.log
run -f -qq -o shapes/qq.log
run -f -e trace=futex,clone,clone3,wait4,exit_group -o shapes/trace-filter.log
run -f -e trace=futex --seccomp-bpf -o shapes/seccomp-futex.log
timeout -s KILL 2 strace -f "$build/mutex-held-at-fork" 2> shapes/stderr.log || true
sleep 0.5
if pgrep -f "$build/mutex-held-at-fork" >/dev/null; then echo "record.sh: processes left running" >&2; exit 1; fi
