// The plain-text report of `forkscope analyze`: what hung, why, which lines prove it, who waits
// for it, then one line about the whole tree.

import type { Analysis, Finding, ProcessSummary } from '../analysis/types.js';
import { exitText } from '../model/format.js';
import { styleFor } from './style.js';
import type { Style } from './style.js';
import { ROLE_LABELS, counted, findingSentence, processLabel, waitSentence } from './words.js';

export interface TextOptions {
  color: boolean;
  /** How many warnings to list before summarising the rest. */
  maxWarnings?: number;
}

export function renderText(analysis: Analysis, options: TextOptions): string {
  const style = styleFor(options.color);
  const out: string[] = [];
  const inputs =
    analysis.inputs.map((i) => `${i.path} (${i.format}, ${counted(i.lines, 'line')})`).join(', ') || 'the live process tree (/proc)';
  const count = analysis.findings.length;
  out.push(
    count === 0
      ? `forkscope: no forked child hung on an inherited lock in ${inputs}`
      : style.bold(`forkscope: ${counted(count, 'thread')} of forked children hung on a lock inherited locked`) +
          ` in ${inputs}`,
  );
  for (const finding of analysis.findings) out.push('', ...renderFinding(finding, style));
  out.push('', treeLine(analysis.processes, analysis.findings));
  out.push(...renderWarnings(analysis, style, options.maxWarnings ?? 20));
  return out.join('\n') + '\n';
}

function renderFinding(finding: Finding, style: Style): string[] {
  const lines = [`${style.red(style.bold('HUNG'))}  ${style.bold(findingSentence(finding))}`];
  lines.push(...wrap(finding.explanation, 96).map((l) => `  ${l}`));
  if (finding.blockedSince) lines.push(`  Blocked since ${finding.blockedSince}.`);
  lines.push('  Evidence:');
  const width = Math.max(...finding.evidence.map((e) => `${e.file}:${e.line}`.length));
  for (const e of finding.evidence) {
    const where = `${e.file}:${e.line}`.padEnd(width);
    lines.push(`    ${style.dim(where)}  ${String(e.tid).padStart(6)}  ${e.text}`);
    lines.push(`    ${' '.repeat(width)}  ${' '.repeat(6)}  ${style.yellow(`^ ${ROLE_LABELS[e.role]}`)}`);
  }
  if (finding.chain.length > 0) {
    lines.push('  Waiting on it:');
    for (const link of finding.chain) {
      const where = link.where ? style.dim(`  (${link.where.file}:${link.where.line})`) : '';
      lines.push(`    ${waitSentence(link)}${where}`);
    }
  }
  return lines;
}

function treeLine(processes: ProcessSummary[], findings: Finding[]): string {
  const threads = processes.reduce((n, p) => n + p.threads.length, 0);
  const hung = new Set(findings.map((f) => f.pid));
  const parts = [`${counted(processes.length, 'process', 'processes')}, ${counted(threads, 'thread')}`];
  if (hung.size) parts.push(`hung: ${listed([...hung].map(String))}`);
  const ended = processes.filter((p) => p.exit && !hung.has(p.pid ?? NaN));
  if (ended.length) parts.push(`ended: ${listed(ended.map((p) => `${processLabel(p)} ${exitText(p.exit!)}`))}`);
  const waiting = processes.filter((p) => p.state === 'waiting-child');
  if (waiting.length) parts.push(`waiting for children: ${listed(waiting.map(processLabel))}`);
  return `Tree: ${parts.join('; ')}`;
}

/** A list for the one-line summary, cut after a few items. */
function listed(items: string[], max = 12): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function renderWarnings(analysis: Analysis, style: Style, max: number): string[] {
  if (analysis.warnings.length === 0) return [];
  const lines = ['', style.yellow(`Warnings (${analysis.inputs.reduce((n, i) => n + i.warnings, 0)}):`)];
  for (const w of analysis.warnings.slice(0, max)) lines.push(`  ${w.file}:${w.line}: ${w.message}`);
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
