// Binary search, once for every sorted list the project searches.

/** The first i in [0, length) for which `past(i)`, when it is false up to some i and true from there (length: none). */
export function firstIndex(length: number, past: (i: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (past(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}
