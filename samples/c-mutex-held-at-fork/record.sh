#!/usr/bin/env bash
# Records this folder's traces (see README.md): the two standard recordings, then one file per
# strace output shape the parsers read.
source "$(dirname "$0")/../record-lib.sh"
build_c mutex-held-at-fork.c
record_standard 2
rm -rf shapes && mkdir -p shapes
trace 2 -f -o shapes/plain.log
trace 2 -f -t -o shapes/t.log
trace 2 -f -ttt -o shapes/ttt.log
trace 2 -f -r -o shapes/r.log
trace 2 -f -ttt -r -o shapes/ttt-r.log
trace 2 -f -tt -T -y -o shapes/y.log
trace 2 -f -tt -T -yy -o shapes/yy.log
trace 2 -f -k -o shapes/k.log
trace 2 -f -X raw -o shapes/x-raw.log
trace 2 -f -X verbose -o shapes/x-verbose.log
trace 2 -f -v -s 200 -o shapes/v-s200.log
trace 2 -f -qq -o shapes/qq.log
trace 2 -f -e trace=futex,clone,clone3,wait4,exit_group -o shapes/trace-filter.log
trace 2 -f -e trace=futex --seccomp-bpf -o shapes/seccomp-futex.log
TRACE_STDERR=shapes/stderr.log trace 2 -f
# Without -f: the forked child's lines are not in the trace (forkscope says it cannot tell).
trace 2 -tt -T -o shapes/no-f.log
# ltrace's library calls look like strace lines: forkscope refuses them (apt-get install ltrace).
if command -v ltrace >/dev/null; then TRACER=ltrace trace 3 -f -o shapes/ltrace.log; fi
check_nothing_left
