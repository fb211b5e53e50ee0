// `forkscope export TRACE...` (its options: export.ts): the document is written while the trace is
// read, so its size does not bring memory with it.

import { analyzeSources } from '../pipeline.js';
import { NewFile } from '../util/new-file.js';
import { sayOnStderr, writeOutSync } from '../util/output.js';
import { ChromeTraceWriter } from '../views/chrome-trace.js';
import type { ExportOptions } from './export.js';
import { EXIT_HANG, EXIT_OK } from './inputs.js';
import { loadSources, traceClock } from './sources.js';

/** Output is handed on in pieces of about this many characters. */
const CHUNK = 64 << 10;

/** `version`: forkscope's, for the document's producer. */
export async function run(paths: string[], options: ExportOptions, version: string): Promise<number> {
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
}
