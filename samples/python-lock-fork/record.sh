#!/usr/bin/env bash
# Records trace-f.log and ff/ (see README.md).
source "$(dirname "$0")/../record-lib.sh"
use_python lock_fork.py
record_standard 3
