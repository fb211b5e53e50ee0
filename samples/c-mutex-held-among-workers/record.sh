#!/usr/bin/env bash
# Records this folder's traces (see README.md), keeping what the program printed beside each.
source "$(dirname "$0")/../record-lib.sh"
build_c held-among-workers.c
record_standard 2 keep-output
rm -rf ff-untimed plain.log plain.out ff-untimed.out && mkdir -p ff-untimed
TRACE_STDOUT=plain.out trace 2 -f -o plain.log
TRACE_STDOUT=ff-untimed.out trace 2 -ff -o ff-untimed/trace
check_nothing_left
