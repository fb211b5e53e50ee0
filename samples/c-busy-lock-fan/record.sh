#!/usr/bin/env bash
# Records this folder's traces (see README.md), keeping what the program printed beside each.
source "$(dirname "$0")/../record-lib.sh"
build_c busy-lock-fan.c
record_standard 2 keep-output
