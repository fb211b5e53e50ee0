#!/usr/bin/env node
// forkscope's command line. Each command registers its options and help from src/commands/<name>.ts;
// its code (src/commands/<name>-run.ts) is loaded only when it runs, so that starting forkscope loads
// commander and the chosen command alone.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerAnalyze } from './commands/analyze.js';
import { registerAttach } from './commands/attach.js';
import { registerEvents } from './commands/events.js';
import { registerExport } from './commands/export.js';
import { registerRecord } from './commands/record.js';
import { registerTimeline } from './commands/timeline.js';
import { registerTui } from './commands/tui.js';
import { ANALYSIS_EXIT_CODES, helpFooter, oneLineUsageErrors } from './commands/usage.js';

/** The version of the package this file was installed with (dist/src/cli.js -> package.json). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('forkscope')
  .description('Find the processes that hang after fork() in a multi-threaded program')
  .version(`forkscope ${version}`, '-V, --version', 'print the version')
  // `record` passes every option after its command's name on to that command.
  .enablePositionalOptions()
  .addHelpText(
    'after',
    helpFooter(
      [
        ['strace -f -tt -T -o trace.log ./program', 'record a trace by hand, then:'],
        ['forkscope analyze trace.log', 'which forked children hang on an inherited lock, held by whom'],
        ['forkscope record -- ./program', 'record, stop the tree when it hangs, and report'],
        ['forkscope attach 4452', 'examine a live hung tree through /proc'],
      ],
      [...ANALYSIS_EXIT_CODES, ['', "record: the program's own code when it finished (forkscope record --help)"]],
    ),
  )
  .exitOverride((err) => {
    // commander exits 1 on usage errors; forkscope's contract is 2 (1 means "hang found").
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerAnalyze(program);
registerTimeline(program);
registerRecord(program);
registerAttach(program);
registerTui(program);
registerExport(program, version);
registerEvents(program);
for (const command of [program, ...program.commands]) oneLineUsageErrors(command);

await program.parseAsync(process.argv);
