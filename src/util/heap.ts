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

/**
 * A min-queue for items that mostly arrive in order (a trace's lines by when they started): an
 * item not before the last in-order one is appended to a sorted run, the others go to a heap, and
 * the least of the run's first and the heap's top comes out. Pops the same items as a MinHeap.
 */
export class MostlySortedQueue<T> {
  private run: T[] = [];
  private runStart = 0;
  private readonly heap: MinHeap<T>;

  constructor(private readonly before: (a: T, b: T) => boolean) {
    this.heap = new MinHeap(before);
  }

  get size(): number {
    return this.run.length - this.runStart + this.heap.size;
  }

  push(item: T): void {
    const last = this.run.length > this.runStart ? this.run[this.run.length - 1]! : undefined;
    if (last === undefined || !this.before(item, last)) this.run.push(item);
    else this.heap.push(item);
  }

  pop(): T | undefined {
    const first = this.runStart < this.run.length ? this.run[this.runStart] : undefined;
    const top = this.heap.peek();
    if (first === undefined || (top !== undefined && this.before(top, first))) return this.heap.pop();
    this.run[this.runStart++] = undefined as T;
    // The run's taken head is dropped now and then, not at every pop.
    if (this.runStart === this.run.length) {
      this.run = [];
      this.runStart = 0;
    } else if (this.runStart >= 4096 && this.runStart * 2 >= this.run.length) {
      this.run = this.run.slice(this.runStart);
      this.runStart = 0;
    }
    return first;
  }
}
