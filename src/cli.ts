#!/usr/bin/env node
// forkscope's command line. Each command lives in src/commands/ and registers itself here.

import { Command } from 'commander';
import { registerAnalyze } from './commands/analyze.js';
import { registerAttach } from './commands/attach.js';
import { registerRecord } from './commands/record.js';
import { registerTimeline } from './commands/timeline.js';
import { registerTui } from './commands/tui.js';
import { terminalText } from './views/terminal-text.js';

const program = new Command('forkscope')
  .description('Find the processes that hang after fork() in a multi-threaded program')
  .version('0.1.0')
  .showHelpAfterError()
  // Usage errors quote the arguments they reject (`record -- CMD` passes a program's argv).
  .configureOutput({ writeErr: (text) => process.stderr.write(terminalText(text, { newlines: true })) })
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
