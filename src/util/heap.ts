// A binary min-heap, for merging streams by time (the -ff files, the bpftrace CSV's per-CPU lines).

export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (!this.before(items[i]!, items[up]!)) break;
      this.swap(i, up);
      i = up;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < items.length && this.before(items[left]!, items[least]!)) least = left;
        if (right < items.length && this.before(items[right]!, items[least]!)) least = right;
        if (least === i) break;
        this.swap(i, least);
        i = least;
      }
    }
    return top;
  }

  private swap(i: number, j: number): void {
    const items = this.items;
    const held = items[i]!;
    items[i] = items[j]!;
    items[j] = held;
  }
}
