#!/usr/bin/env bash
# Records this folder's traces (see README.md) of terminal-escapes.c run from an executable whose
# name holds an OSC 0 (window title) sequence, with arguments holding OSC 0, OSC 52 (clipboard),
# a raw 0x9b byte (CSI) and U+009B: trace-f.log (strace -f -tt -T, which escapes them), raw.log
# (the same log with strace's escapes turned back into the raw bytes, as a tracer that prints
# strings raw writes them, plus one line that is not strace's holding them too) and trace.csv
# (forkscope's bpftrace collector, which prints comm and execve's file name raw). Run as root with
# forkscope built (npm run build at the top).
source "$(dirname "$0")/../record-lib.sh"
EXE="$BUILD/$(printf 'hang\033]0;pwned-exe\007')"
gcc -O0 -pthread -o "$EXE" terminal-escapes.c
PROG=("$EXE" "$(printf '\033]0;pwned\007')" "$(printf '\033]52;c;cHduZWQ=\007')" "$(printf '\233')31m" "$(printf '\302\233')1;1H")

rm -rf trace-f.log raw.log trace.csv
trace 2 -f -tt -T -o trace-f.log
check_nothing_left

# strace writes a non-printable byte of a string as an octal escape: \33, \7, \233, \302.
python3 - <<'PY'
import re
log = open('trace-f.log', 'rb').read()
raw = re.sub(rb'\\([0-7]{1,3})', lambda m: bytes([int(m.group(1), 8)]), log)
raw += b'this line is not strace\'s: \x1b]0;pwned-warning\x07 \x1b]52;c;cHduZWQ=\x07 \x9b31m \xc2\x9b1;1H\n'
open('raw.log', 'wb').write(raw)
PY

work=$(mktemp -d)
node ../../dist/src/cli.js record --backend bpftrace --hang-timeout 2 -o "$work/bpftrace" -- "${PROG[@]}" >/dev/null 2>&1 || true
cp "$work/bpftrace/trace.csv" trace.csv
rm -rf "$work"
check_nothing_left
chmod 644 trace-f.log raw.log trace.csv
