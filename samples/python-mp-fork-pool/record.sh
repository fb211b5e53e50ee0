#!/bin/sh
# Records pool.py (a multiprocessing fork pool whose late workers hang) the three ways forkscope
# reads: strace -f -tt -T (trace.log), strace -ff -tt -T (ff/trace.PID) and the bpftrace collector
# (trace.csv). Run as root from this directory, with forkscope built (npm run build at the top).
# Each run is stopped after the hang: forkscope record's watchdog, or a kill of the whole process
# group for the plain strace -ff run.
set -eu
cd "$(dirname "$0")"
forkscope="node ../../dist/src/cli.js"
# The system Python: a pyenv-style shim would add its own shell processes to the traces.
python=${PYTHON:-/usr/bin/python3}
rm -rf ff trace.log trace.csv
work=$(mktemp -d)

$forkscope record --backend strace --hang-timeout 3 -o "$work/strace" -- "$python" pool.py >/dev/null || true
cp "$work/strace/trace.strace" trace.log

$forkscope record --backend bpftrace --hang-timeout 3 -o "$work/bpftrace" -- "$python" pool.py >/dev/null || true
cp "$work/bpftrace/trace.csv" trace.csv

mkdir ff
setsid strace -ff -tt -T -o ff/trace "$python" pool.py &
group=$!
sleep 6
kill -KILL "-$group"
wait "$group" 2>/dev/null || true
rm -rf "$work"
chmod 644 trace.log trace.csv ff/*
