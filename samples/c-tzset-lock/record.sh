#!/usr/bin/env bash
# Records trace-f.log and ff/ with what the program printed (see README.md).
source "$(dirname "$0")/../record-lib.sh"
build_c tzset-lock.c
record_standard 2 keep-output
