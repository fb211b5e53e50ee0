// A growable column of 32-bit integers: 4 bytes an entry, where an array of numbers takes 8 and an
// object per entry takes a hundred (a trace of a million reaped children keeps a few of these).

export class IntColumn {
  private values = new Int32Array(64);
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends `value` (a 32-bit integer); returns its index. */
  push(value: number): number {
    if (this.count === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count] = value;
    return this.count++;
  }

  at(index: number): number {
    if (index < 0 || index >= this.count) throw new RangeError(`no entry ${index} in a column of ${this.count}`);
    return this.values[index]!;
  }
}

/** Values numbered in the order first seen: a column holds the number, the table the value once. */
export class InternTable<T> {
  private readonly numbers = new Map<T, number>();
  private readonly values: T[] = [];

  numberOf(value: T): number {
    let number = this.numbers.get(value);
    if (number === undefined) {
      number = this.values.push(value) - 1;
      this.numbers.set(value, number);
    }
    return number;
  }

  valueNumbered(number: number): T {
    if (number < 0 || number >= this.values.length) throw new RangeError(`no value numbered ${number}`);
    return this.values[number]!;
  }
}
