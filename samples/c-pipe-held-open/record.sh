#!/usr/bin/env bash
# Records trace-f.log and ff/ (see README.md).
source "$(dirname "$0")/../record-lib.sh"
build_c pipe-held-open.c
record_standard 2 keep-output
