// The timeline's regrouping (src/views/timeline.ts): lines spilled to disk come back as they went in,
// and its reorder window releases lines in the order a plain heap would.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MinHeap, MostlySortedQueue } from '../src/util/heap.js';
import { GroupedSpool } from '../src/util/spool.js';

interface Item {
  key: number;
  text: string;
}

const codec = {
  bytes: (item: Item) => item.text.length + 16,
  encode: (item: Item) => `${item.key}\t${item.text}`,
  decode: (line: string): Item => {
    const tab = line.indexOf('\t');
    return { key: Number(line.slice(0, tab)), text: line.slice(tab + 1) };
  },
};

describe('grouped spool', () => {
  test('gives each group its items in order, spilled or not, across read chunks and multi-byte characters', () => {
    // A small budget spills often; 40,000 items of ~60 bytes are more than one 1 MiB read chunk.
    const spool = new GroupedSpool<string, Item>(codec, 64 << 10);
    const expected = new Map<string, Item[]>([['a', []], ['b', []], ['c', []]]);
    try {
      for (let i = 0; i < 40_000; i++) {
        const group = i % 7 === 0 ? 'c' : i % 2 === 0 ? 'a' : 'b';
        const item = { key: i, text: `futex(0x${i.toString(16)}, FUTEX_WAIT_PRIVATE, 2, NULL) = 0 é 😀 ${'x'.repeat(i % 13)}` };
        spool.add(group, item);
        expected.get(group)!.push(item);
      }
      for (const [group, items] of expected) {
        const cursor = spool.items(group);
        const read: Item[] = [];
        for (let item = cursor.next(); item; item = cursor.next()) read.push(item);
        assert.deepEqual(read, items, group);
      }
      assert.equal(spool.items('none').next(), undefined);
    } finally {
      spool.dispose();
    }
  });
});

describe('mostly sorted queue', () => {
  test('pops what a heap pops, through a bounded window, for lines that mostly arrive in order', () => {
    interface Line {
      key: number;
      order: number;
    }
    const before = (a: Line, b: Line) => a.key < b.key || (a.key === b.key && a.order < b.order);
    const heap = new MinHeap<Line>(before);
    const queue = new MostlySortedQueue<Line>(before);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const fromHeap: Line[] = [];
    const fromQueue: Line[] = [];
    for (let order = 0; order < 30_000; order++) {
      // Most lines in order; some started a while ago (a call that was pending), a few long ago; ties too.
      const late = random();
      const key = Math.floor(order / 2) - (late < 0.7 ? 0 : late < 0.97 ? Math.floor(random() * 50) : Math.floor(random() * 20_000));
      heap.push({ key, order });
      queue.push({ key, order });
      if (heap.size > 5_000) fromHeap.push(heap.pop()!);
      if (queue.size > 5_000) fromQueue.push(queue.pop()!);
    }
    while (heap.size > 0) fromHeap.push(heap.pop()!);
    while (queue.size > 0) fromQueue.push(queue.pop()!);
    assert.deepEqual(fromQueue, fromHeap);
  });
});
