#!/usr/bin/env bash
# Records this folder's traces (see README.md), keeping what the program printed beside each. The
# program ends by itself in under a second (the child aborts); 2 s is the bound if it did not.
source "$(dirname "$0")/../record-lib.sh"
build_c pi-mutex-held-at-fork.c
record_standard 2 keep-output
rm -rf ff-untimed plain.log plain.out ff-untimed.out && mkdir -p ff-untimed
TRACE_STDOUT=plain.out trace 2 -f -o plain.log
TRACE_STDOUT=ff-untimed.out trace 2 -ff -o ff-untimed/trace
check_nothing_left
