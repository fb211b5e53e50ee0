// `forkscope analyze TRACE...`: the text report, or the versioned JSON document with --json.
// Exit code: 0 no hang found, 1 hang(s) found, 2 error.

import type { Command } from 'commander';
import { mergeSnapshot } from '../analysis/proc-findings.js';
import { analyzeSources } from '../pipeline.js';
import { writeChunks } from '../util/output.js';
import { jsonChunks } from '../views/json.js';
import { ReadProgress, withProgress } from '../views/progress.js';
import { wantsColor } from '../views/style.js';
import { textChunks } from '../views/text.js';
import { EXIT_HANG, EXIT_OK, loadSources, runCommand, traceClock, withTraceInputs } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';
import type { InputOptions } from './inputs.js';
import { recordedSnapshot } from './recording.js';

interface AnalyzeOptions extends InputOptions {
  json?: boolean;
  color: boolean;
}

export function registerAnalyze(program: Command): void {
  withTraceInputs(program.command('analyze'))
    .description('report the forked children that hang on a lock inherited locked from their parent')
    .option('--json', 'print the forkscope/analysis@1 JSON document (docs/json.md)')
    .option('--no-color', 'never colour the report (colour is only used on a terminal, and never with NO_COLOR)')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope analyze trace.log', 'report on a strace -f log'],
          ['forkscope analyze --json trace/ | jq .findings', 'the files of strace -ff -o trace/t, as the forkscope/analysis@1 document'],
          ["strace -f -tt -T -o '|forkscope analyze -' ./program", 'analyze while strace runs'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((paths: string[], options: AnalyzeOptions) =>
      runCommand(async () => {
        const recorded = recordedSnapshot(paths);
        const sources = await loadSources(paths, options);
        const clock = traceClock(sources);
        const progress = new ReadProgress(sources);
        const analyze = () =>
          analyzeSources(sources, {
            onEvent: (event) => clock.observe(event),
            objectDirs: options.objects,
            counter: progress.counter,
            onSecondRead: () => progress.secondRead(),
            // The report lists a reaped child and no more: a million of them take a few numbers each.
            foldReaped: true,
          });
        // --json is read by programs: nothing on stderr that a program did not ask for.
        const { analysis, tree } = options.json ? await analyze() : await withProgress(progress, analyze);
        if (recorded) mergeSnapshot(analysis, recorded.snapshot, tree, `The /proc snapshot in ${recorded.path} (taken ${recorded.snapshot.takenAt})`);
        const color = options.color && wantsColor(process.stdout);
        await writeChunks(options.json ? jsonChunks(analysis, clock) : textChunks(analysis, { color, clock }));
        return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
      }),
    );
}
