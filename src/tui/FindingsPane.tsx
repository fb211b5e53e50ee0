// Each hang (inherited lock, lock cycle, pipe held open) as one sentence (naming the lock when the trace
// can); under the current one, how to fix it, who waits for it, the lines it rests on (file:line),
// which Enter opens in the timeline, and the parent's threads that may have held an inherited lock.

import { Text } from 'ink';
import type { Analysis, Evidence, Finding, FindingKind } from '../analysis/types.js';
import { KIND_SHORT, ROLE_LABELS, findingLabel, findingSentence, waitSentence } from '../views/words.js';
import { Pane, paneContentLines, shown } from './Pane.js';
import { windowTop } from './tree-rows.js';

export type FindingItem =
  | { kind: 'finding'; finding: Finding; number: number }
  | { kind: 'chain'; finding: Finding; text: string }
  | { kind: 'candidate'; finding: Finding; text: string }
  | { kind: 'fix'; finding: Finding }
  | { kind: 'evidence'; finding: Finding; evidence: Evidence };

/** The pane's lines: every finding, the current one opened. */
export function findingItems(findings: Finding[], current: number): FindingItem[] {
  const items: FindingItem[] = [];
  findings.forEach((finding, number) => {
    items.push({ kind: 'finding', finding, number });
    if (number !== current) return;
    items.push({ kind: 'fix', finding });
    for (const link of finding.chain) {
      items.push({ kind: 'chain', finding, text: waitSentence(link) });
    }
    for (const evidence of finding.evidence) items.push({ kind: 'evidence', finding, evidence });
    // More than one thread (the forking one is always last) is a choice worth showing.
    if (finding.kind === 'inherited-lock' && finding.holderCandidates.length > 1) {
      for (const c of finding.holderCandidates) items.push({ kind: 'candidate', finding, text: `${c.tid} ${c.reason}` });
    }
  });
  return items;
}

export interface FindingsPaneProps {
  analysis: Analysis | null;
  /** An evidence line's place and call as the timeline shows them. */
  describe: (evidence: Evidence) => { where: string; text: string };
  /** The recorder's verdict: its hang watchdog's (`record --tui`), or /proc's (`attach --tui`). */
  verdict: string | null;
  items: FindingItem[];
  cursor: number;
  focused: boolean;
  color: boolean;
  width: number;
  height: number;
}

export function FindingsPane({ analysis, describe, verdict, items, cursor, focused, color, width, height }: FindingsPaneProps) {
  const lines = paneContentLines(height) - (verdict ? 1 : 0);
  const count = analysis?.findings.length ?? 0;
  const title = analysis === null ? 'Findings (reading the trace...)' : `Findings: ${findingTitle(analysis.findings)}`;
  const top = windowTop(cursor, lines, items.length);
  return (
    <Pane title={title} focused={focused} color={color} width={width} height={height}>
      {verdict && (
        <Text wrap="truncate-end" bold color={color ? 'red' : undefined}>
          {shown(verdict, width)}
        </Text>
      )}
      {analysis !== null && count === 0 && <Text>No hang: no inherited lock, lock cycle or pipe held open.</Text>}
      {items.slice(top, top + lines).map((item, i) => (
        <ItemLine key={top + i} item={item} describe={describe} columns={width} selected={focused && top + i === cursor} color={color} />
      ))}
    </Pane>
  );
}

/** "1 hung on an inherited lock", "2 in a lock cycle, 1 blocked on a pipe held open", "0 hung". */
function findingTitle(findings: Finding[]): string {
  const parts = (Object.keys(KIND_SHORT) as FindingKind[]).flatMap((kind) => {
    const count = findings.filter((f) => f.kind === kind).length;
    return count > 0 ? [`${count} ${KIND_SHORT[kind]}`] : [];
  });
  return parts.join(', ') || '0 hung';
}

function ItemLine({
  item,
  describe,
  columns,
  selected,
  color,
}: {
  item: FindingItem;
  describe: FindingsPaneProps['describe'];
  columns: number;
  selected: boolean;
  color: boolean;
}) {
  switch (item.kind) {
    case 'finding':
      return (
        <Text wrap="truncate-end" inverse={selected}>
          <Text bold color={color ? 'red' : undefined}>
            {findingLabel(item.finding)}{' '}
          </Text>
          {shown(findingSentence(item.finding), columns)}
        </Text>
      );
    case 'fix':
      return (
        <Text wrap="truncate-end" inverse={selected}>
          {'  '}
          <Text color={color ? 'green' : undefined}>fix:</Text> {shown(item.finding.fix, columns)}
        </Text>
      );
    case 'chain':
      return (
        <Text wrap="truncate-end" inverse={selected}>
          {'  '}
          <Text color={color ? 'yellow' : undefined}>waiting on it:</Text> {shown(item.text, columns)}
        </Text>
      );
    case 'candidate':
      return (
        <Text wrap="truncate-end" inverse={selected}>
          {'  '}
          <Text color={color ? 'yellow' : undefined}>alive at the fork:</Text> {shown(item.text, columns)}
        </Text>
      );
    case 'evidence': {
      const { where, text } = describe(item.evidence);
      return (
        <Text wrap="truncate-end" inverse={selected}>
          {'  '}
          <Text dimColor>{shown(where, columns)}</Text> {ROLE_LABELS[item.evidence.role]}: [{item.evidence.tid}] {shown(text, columns)}
        </Text>
      );
    }
  }
}
