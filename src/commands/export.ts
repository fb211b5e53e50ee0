// `forkscope export [--format chrome] [-o FILE] TRACE...`: the trace as Chrome Trace Event JSON for
// ui.perfetto.dev and chrome://tracing (docs/export.md). The command runs in export-run.ts.

import { Option } from 'commander';
import type { Command } from 'commander';
import type { TraceFormat } from '../../parsers/types.js';
import { runCommand, withTraceInputs } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';

export interface ExportOptions {
  format: 'chrome';
  inputFormat?: TraceFormat;
  output?: string;
  objects: string[];
}

export function registerExport(program: Command, version: string): void {
  withTraceInputs(program.command('export'), { formatFlag: '--input-format' })
    .description('write the trace as Chrome Trace Event JSON, for ui.perfetto.dev and chrome://tracing (docs/export.md)')
    .addOption(new Option('--format <format>', 'the output format').choices(['chrome']).default('chrome'))
    .option('-o, --output <file>', 'write to FILE (a new file: never overwritten) instead of stdout; - is stdout')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope export -o trace.json trace.log', 'then open trace.json in ui.perfetto.dev or chrome://tracing'],
          ['forkscope export rec/trace.csv > trace.json', 'a bpftrace recording of forkscope record'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((paths: string[], options: ExportOptions) => runCommand(async () => (await import('./export-run.js')).run(paths, options, version)));
}
