#!/usr/bin/env bash
# Records this folder's traces (see README.md): the child's lock timed (resumed by restart_syscall)
# in the two standard recordings, then untimed (the futex call issued again) in one -f log.
source "$(dirname "$0")/../record-lib.sh"
build_c mutex-held-at-fork-signalled.c timedlock
record_standard 2
PROG=("${PROG[0]}")
rm -f lock.log
trace 2 -f -tt -T -o lock.log
check_nothing_left
