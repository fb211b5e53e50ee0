// `forkscope events TRACE... --jsonl`: the parsed model, one event per line, for scripts
// (docs/events.md). Each event is written as it is read.

import type { Command } from 'commander';
import { analyzeSources } from '../pipeline.js';
import { writeOutSync } from '../util/output.js';
import { eventLine, eventsEnd, eventsHeader } from '../views/events-jsonl.js';
import { EXIT_HANG, EXIT_OK, loadSources, runCommand, withTraceInputs } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';
import type { InputOptions } from './inputs.js';

interface EventsOptions extends InputOptions {
  jsonl?: boolean;
}

/** Output is handed on in pieces of about this many characters. */
const CHUNK = 64 << 10;

export function registerEvents(program: Command): void {
  withTraceInputs(program.command('events'))
    .description('print the parsed trace, one event per line, as the forkscope/events@1 JSON lines (docs/events.md)')
    .requiredOption('--jsonl', 'JSON lines (the only format: required so that another can come)')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope events --jsonl trace.log | jq -c \'select(.kind == "syscall" and .name == "futex")\'', 'every futex call, decoded (.futex)'],
          ['forkscope events --jsonl trace/ | tail -1', 'what was read: the last line lists the inputs'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((paths: string[], options: EventsOptions) =>
      runCommand(async () => {
        const sources = await loadSources(paths, options);
        let chunk = eventsHeader();
        const write = (text: string) => {
          chunk += text;
          if (chunk.length < CHUNK) return;
          writeOutSync(chunk);
          chunk = '';
        };
        const { analysis } = await analyzeSources(sources, { onEvent: (event) => write(eventLine(event)), foldReaped: true });
        writeOutSync(chunk + eventsEnd(analysis.inputs));
        return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
      }),
    );
}
