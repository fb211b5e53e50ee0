// The plain-text report of `forkscope analyze`: what hung, why, which lines prove it, who waits
// for it, then one line about the whole tree. Everything the trace or /proc says is printed through
// terminalText (the colours are ours, added around it).

import type { Analysis, ChainLink, Evidence, Finding, HolderCandidate, ProcessSummary } from '../analysis/types.js';
import { exitText } from '../model/format.js';
import { styleFor } from './style.js';
import type { Style } from './style.js';
import { terminalText } from './terminal-text.js';
import { TraceClock } from './times.js';
import { ROLE_LABELS, counted, findingCounts, findingLabel, findingSentence, processLabel, waitSentence } from './words.js';

export interface TextOptions {
  color: boolean;
  /** How many warnings to list before summarising the rest. */
  maxWarnings?: number;
  /** How times are shown (a bpftrace recording's nanoseconds as seconds or wall time); as printed without. */
  clock?: TraceClock;
}

/**
 * Findings shown in full; past this the first and last half are, with the count of the rest between
 * (100,000 children hung on one lock say nothing more the 100,000th time; --json lists them all).
 */
const MAX_FINDINGS = 40;
/** Links of a wait chain, and evidence lines, shown at each end of a longer list. */
const LIST_ENDS = 8;

export function renderText(analysis: Analysis, options: TextOptions): string {
  return [...textChunks(analysis, options)].join('');
}

/** The report a piece at a time (a finding, a line), so that a huge one is never one string. */
export function* textChunks(analysis: Analysis, options: TextOptions): Generator<string> {
  const style = styleFor(options.color);
  const inputs =
    analysis.inputs.map((i) => `${terminalText(i.path)} (${i.format}, ${counted(i.lines, 'line')})`).join(', ') || 'the live process tree (/proc)';
  yield (analysis.findings.length === 0
    ? `forkscope: no hang found (no forked child hung on an inherited lock, no lock cycle, no pipe held open) in ${inputs}`
    : style.bold(`forkscope: ${findingCounts(analysis.findings)}`) + ` in ${inputs}`) + '\n';
  const shown = headAndTail(analysis.findings, MAX_FINDINGS / 2);
  for (const [i, finding] of shown.head.entries()) {
    if (i === shown.head.length - shown.tail && shown.omitted > 0) {
      yield `\n${style.dim(`... ${shown.omitted} more findings, not shown (--json lists every one)`)}\n`;
    }
    yield ['', ...renderFinding(finding, style, options.clock ?? TraceClock.asPrinted())].join('\n') + '\n';
  }
  yield '\n' + terminalText(treeLine(analysis.processes, analysis.findings)) + '\n';
  for (const line of renderWarnings(analysis, style, options.maxWarnings ?? 20)) yield line + '\n';
}

/**
 * The items to show of a list: all of them when it is short, else its first and last `ends`
 * (`head` holds both, the last `tail` of it are the list's end) and how many are left out between.
 */
function headAndTail<T>(items: readonly T[], ends: number): { head: T[]; tail: number; omitted: number } {
  if (items.length <= 2 * ends + 1) return { head: [...items], tail: 0, omitted: 0 };
  return { head: [...items.slice(0, ends), ...items.slice(-ends)], tail: ends, omitted: items.length - 2 * ends };
}

/** Lines of a list cut to its ends, with a line saying how many were left out. */
function cutList<T>(items: readonly T[], render: (item: T) => string[], omittedLine: (n: number) => string): string[] {
  const shown = headAndTail(items, LIST_ENDS);
  const lines: string[] = [];
  for (const [i, item] of shown.head.entries()) {
    if (i === shown.head.length - shown.tail && shown.omitted > 0) lines.push(omittedLine(shown.omitted));
    lines.push(...render(item));
  }
  return lines;
}

function renderFinding(finding: Finding, style: Style, clock: TraceClock): string[] {
  const lines = [`${style.red(style.bold(findingLabel(finding)))}  ${style.bold(terminalText(findingSentence(finding)))}`];
  lines.push(...wrap(terminalText(finding.explanation), 96).map((l) => `  ${l}`));
  if (finding.kind !== 'lock-cycle' && finding.blockedSince) {
    const since = finding.kind === 'inherited-lock' && finding.outcome === 'aborted' ? 'The lock failed at' : 'Blocked since';
    lines.push(`  ${since} ${terminalText(clock.shown(finding.blockedSince)!)}.`);
  }
  lines.push(...wrap(`Fix: ${terminalText(finding.fix)}`, 96).map((l) => `  ${l}`));
  lines.push('  Evidence:');
  const place = (e: { file: string; line: number }) => `${terminalText(e.file)}:${e.line}`;
  const width = finding.evidence.reduce((w, e) => Math.max(w, place(e).length), 0);
  const evidenceLines = (e: Evidence) => [
    `    ${style.dim(place(e).padEnd(width))}  ${String(e.tid).padStart(6)}  ${terminalText(e.text)}`,
    `    ${' '.repeat(width)}  ${' '.repeat(6)}  ${style.yellow(`^ ${ROLE_LABELS[e.role]}`)}`,
  ];
  lines.push(...cutList(finding.evidence, evidenceLines, (n) => `    ${style.dim(`... ${n} more lines of evidence`)}`));
  if (finding.kind === 'inherited-lock' && finding.holderCandidates.length > 0) {
    lines.push('  Threads of the parent alive at the fork, likeliest holder first:');
    const candidateLines = (c: HolderCandidate) => [
      `    ${String(c.tid).padStart(6)}  ${terminalText(c.reason)}` +
        (c.doing ? `: ${terminalText(c.doing)}${c.line ? style.dim(`  (${place(c.line)})`) : ''}` : ''),
    ];
    lines.push(...cutList(finding.holderCandidates, candidateLines, (n) => `    ${style.dim(`... ${n} more threads`)}`));
  }
  if (finding.chain.length > 0) {
    lines.push(finding.chain.length > 2 * LIST_ENDS + 1 ? `  Waiting on it (a chain of ${finding.chain.length}):` : '  Waiting on it:');
    const linkLines = (link: ChainLink) => [
      `    ${terminalText(waitSentence(link))}${link.where ? style.dim(`  (${place(link.where)})`) : ''}`,
    ];
    lines.push(...cutList(finding.chain, linkLines, (n) => `    ${style.dim(`... ${n} more waiting processes`)}`));
  }
  return lines;
}

function treeLine(processes: ProcessSummary[], findings: Finding[]): string {
  const threads = processes.reduce((n, p) => n + p.threads.length, 0);
  const hung = new Set(findings.filter((f) => findingLabel(f) === 'HUNG').map((f) => f.pid));
  const parts = [`${counted(processes.length, 'process', 'processes')}, ${counted(threads, 'thread')}`];
  if (hung.size) parts.push(`hung: ${listed([...hung], String)}`);
  const ended = processes.filter((p) => p.exit && !hung.has(p.pid ?? NaN));
  if (ended.length) parts.push(`ended: ${listed(ended, (p) => `${processLabel(p)} ${exitText(p.exit!)}`)}`);
  const waiting = processes.filter((p) => p.state === 'waiting-child');
  if (waiting.length) parts.push(`waiting for children: ${listed(waiting, processLabel)}`);
  return `Tree: ${parts.join('; ')}`;
}

/** A list for the one-line summary: its first and last few items, with how many are left out (only those labelled: a million ended children). */
function listed<T>(items: readonly T[], label: (item: T) => string, ends = 6): string {
  const shown = headAndTail(items, ends);
  const labels = shown.head.map((item) => label(item));
  if (shown.omitted === 0) return labels.join(', ');
  return `${labels.slice(0, ends).join(', ')}, ... ${shown.omitted} more ..., ${labels.slice(ends).join(', ')}`;
}

function renderWarnings(analysis: Analysis, style: Style, max: number): string[] {
  if (analysis.warnings.length === 0) return [];
  const lines = ['', style.yellow(`Warnings (${analysis.inputs.reduce((n, i) => n + i.warnings, 0)}):`)];
  for (const w of analysis.warnings.slice(0, max)) lines.push(`  ${terminalText(w.file)}:${w.line}: ${terminalText(w.message)}`);
  if (analysis.warnings.length > max) lines.push(`  ... ${analysis.warnings.length - max} more (see --json)`);
  return lines;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
