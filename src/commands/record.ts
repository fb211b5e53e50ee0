// `forkscope record [--backend strace|bpftrace] [-o DIR] [--hang-timeout S] [--keep-running]
// [--stacks] [--syscalls LIST] [--json] -- CMD ARGS...`: runs CMD (never through a shell) under a
// tracer, stops the tree when the hang watchdog fires (or on Ctrl-C / SIGTERM), and reports as
// `analyze` does. DIR (mode 0700, files 0600) keeps the trace, meta.json and, on a hang, the /proc
// snapshot. Exit code: the command's own when it finished, 1 when a hang was found, 2 on an error.
// The command runs in record-run.ts.

import { Option } from 'commander';
import type { Command } from 'commander';
import { runCommand, seconds } from './inputs.js';
import { helpFooter } from './usage.js';

export interface RecordCliOptions {
  backend: 'strace' | 'bpftrace';
  output?: string;
  hangTimeout: number;
  keepRunning?: boolean;
  stacks?: boolean;
  syscalls?: string;
  json?: boolean;
  tui?: boolean;
  color: boolean;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('run a command under strace or bpftrace, stop it if it hangs, and report what hung')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .addOption(new Option('--backend <backend>', 'the tracer').choices(['strace', 'bpftrace']).default('strace'))
    .option('-o, --output <dir>', 'directory for the trace, new or empty and yours (default ./forkscope-<cmd>-<YYYYmmdd-HHMMSS>-<random>/)')
    .option('--hang-timeout <seconds>', 'no progress for this long, with every thread in an untimed wait (futex, wait4, pipe or socket read, poll), is a hang', seconds, 10)
    .option('--keep-running', 'leave a hung tree running (untraced) for `forkscope attach` instead of killing it')
    .option('--stacks', 'record a stack with every call (strace -k; costly)')
    .option('--syscalls <list>', 'trace only these syscalls, comma-separated (strace; the ones the analysis reads are added)')
    .option('--json', 'print the forkscope/analysis@1 JSON document; the command\'s stdout goes to stderr')
    .option('--tui', 'watch it live in the TUI (docs/tui.md); the command\'s output goes to DIR/output.log')
    .option('--no-color', 'never colour the report')
    .passThroughOptions()
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope record -- ./server --workers 4', 'record with strace; on a hang, stop the tree and report'],
          ['forkscope record --backend bpftrace --hang-timeout 3 -o rec -- python3 pool.py', 'record with bpftrace (root), trace kept in rec/'],
          ['forkscope record --keep-running -- ./program', 'leave a hung tree running for forkscope attach'],
        ],
        [
          ['0-255', "the program's own exit code when it finished by itself (128 + N for signal N)"],
          ['1', 'a hang was found (the tree was stopped)'],
          ['2', 'forkscope failed'],
        ],
      ),
    )
    .action((argv: string[], options: RecordCliOptions) => runCommand(async () => (await import('./record-run.js')).run(argv, options)));
}
