#!/usr/bin/env bash
# Records trace-f.log and ff/ (see README.md).
source "$(dirname "$0")/../record-lib.sh"
build_c pipe-writers-closed.c
record_standard 3 keep-output
