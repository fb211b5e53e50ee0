#!/usr/bin/env bash
# Records trace-f.log and ff/ (see README.md).
source "$(dirname "$0")/../record-lib.sh"
use_python pipe_fork_helper.py
record_standard 3 keep-output
