#!/usr/bin/env node
// forkscope's command line. Each command lives in src/commands/ and registers itself here.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerAnalyze } from './commands/analyze.js';
import { registerAttach } from './commands/attach.js';
import { registerRecord } from './commands/record.js';
import { registerTimeline } from './commands/timeline.js';
import { registerTui } from './commands/tui.js';

/** The version of the package this file was installed with (dist/src/cli.js -> package.json). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('forkscope')
  .description('Find the processes that hang after fork() in a multi-threaded program')
  .version(`forkscope ${version}`, '-V, --version', 'print the version')
  .showHelpAfterError()
  // `record` passes every option after its command's name on to that command.
  .enablePositionalOptions()
  .exitOverride((err) => {
    // commander exits 1 on usage errors; forkscope's contract is 2 (1 means "hang found").
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerAnalyze(program);
registerTimeline(program);
registerRecord(program);
registerAttach(program);
registerTui(program);

await program.parseAsync(process.argv);
