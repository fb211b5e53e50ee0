#!/usr/bin/env bash
# Records trace-f.log.gz (strace -f -tt -T, gzipped: the monitor logs all the time) with what the program printed in trace-f.out (see README.md).
# No -ff set: the program forks hundreds of workers before one hangs, each a file of its own.
source "$(dirname "$0")/../record-lib.sh"
build_c syslog-lock.c
rm -f trace-f.log trace-f.out
TRACE_STDOUT=trace-f.out trace 1 -f -tt -T -o trace-f.log
check_nothing_left
gzip -9 -f trace-f.log
