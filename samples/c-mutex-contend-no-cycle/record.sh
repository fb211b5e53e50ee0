#!/usr/bin/env bash
# Records trace-f.log and ff/ (see README.md).
source "$(dirname "$0")/../record-lib.sh"
build_c contend-no-cycle.c
record_standard 5 keep-output
