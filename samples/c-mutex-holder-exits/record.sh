#!/usr/bin/env bash
# Records trace-f.log and ff/ (see README.md), keeping what the program printed (its holder TID,
# mutex address and child pid) in trace-f.out and ff.out.
source "$(dirname "$0")/../record-lib.sh"
build_c mutex-holder-exits.c
record_standard 2 keep-output
