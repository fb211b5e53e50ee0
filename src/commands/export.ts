// `forkscope export [--format chrome] [-o FILE] TRACE...`: the trace as Chrome Trace Event JSON for
// ui.perfetto.dev and chrome://tracing (docs/export.md). The document is written while the trace is
// read: its size does not bring memory with it.

import { Option } from 'commander';
import type { Command } from 'commander';
import { analyzeSources } from '../pipeline.js';
import { NewFile } from '../util/new-file.js';
import { sayOnStderr, writeOutSync } from '../util/output.js';
import { ChromeTraceWriter } from '../views/chrome-trace.js';
import { EXIT_HANG, EXIT_OK, loadSources, runCommand, traceClock, withTraceInputs } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';
import type { TraceFormat } from '../../parsers/types.js';

interface ExportOptions {
  format: 'chrome';
  inputFormat?: TraceFormat;
  output?: string;
  objects: string[];
}

/** Output is handed on in pieces of about this many characters. */
const CHUNK = 64 << 10;

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
    .action((paths: string[], options: ExportOptions) =>
      runCommand(async () => {
        const sources = await loadSources(paths, { format: options.inputFormat });
        const file = options.output === undefined || options.output === '-' ? null : NewFile.create(options.output);
        let chunk = '';
        const send = (text: string) => (file ? file.write(text) : writeOutSync(text));
        const write = (text: string) => {
          chunk += text;
          if (chunk.length < CHUNK) return;
          send(chunk);
          chunk = '';
        };
        const clock = traceClock(sources);
        const writer = new ChromeTraceWriter(write, clock);
        try {
          const { analysis, tree } = await analyzeSources(sources, {
            onEvent: (event, tree) => {
              clock.observe(event);
              writer.observe(event, tree);
            },
            objectDirs: options.objects,
          });
          writer.finish(analysis, tree, { producer: `forkscope ${version}`, inputs: analysis.inputs });
          send(chunk);
          file?.close();
          if (writer.timeAxis === 'lines') sayOnStderr('the trace has no timestamps: the export uses line numbers as its time axis (1 line = 1 us)');
          return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
        } catch (error) {
          file?.discard();
          throw error;
        }
      }),
    );
}
