// How forkscope talks about its own command line, as ripgrep and git do: a usage error is one line
// and a pointer to the help (never the whole help, which pushes the error out of view), and each
// command's help ends with examples and what its exit codes mean.

import type { Command } from 'commander';
import { terminalText } from '../views/terminal-text.js';

/** Usage errors of `command` print `forkscope: message` and `try 'forkscope CMD --help'`. */
export function oneLineUsageErrors(command: Command): void {
  const path = command.parent ? `forkscope ${command.name()}` : 'forkscope';
  command.showHelpAfterError(`try '${path} --help'`).configureOutput({
    // Usage errors quote the arguments they reject (`record -- CMD` passes a program's argv).
    outputError: (text, write) => write(`forkscope: ${terminalText(oneLine(text))}\n`),
  });
}

/** commander's `error: unknown command 'x'\n(Did you mean y?)` as one line. */
function oneLine(text: string): string {
  return text
    .trim()
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ');
}

/** The end of a command's help (`.addHelpText('after', ...)`): examples (`[command line, what it does]`) and exit codes. */
export function helpFooter(examples: [string, string][], exitCodes: [string, string][]): string {
  const width = Math.max(...exitCodes.map(([code]) => code.length));
  return [
    '',
    'Examples:',
    ...examples.flatMap(([line, what]) => [`  $ ${line}`, `    ${what}`]),
    '',
    'Exit codes:',
    ...exitCodes.map(([code, meaning]) => `  ${code.padEnd(width)}  ${meaning}`),
  ].join('\n');
}

/** The exit codes of a command that reads a trace and reports on it. */
export const ANALYSIS_EXIT_CODES: [string, string][] = [
  ['0', 'no forked child hung on an inherited lock'],
  ['1', 'a hang was found'],
  ['2', 'error (bad usage, unreadable input, or input that cannot answer the question)'],
];
