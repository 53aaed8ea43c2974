/**
 * The positions 0..size-1 still in a draw, in their order: the j-th one still in is found, and one is
 * taken out, in O(log size) (a Fenwick tree of counts), so drawing from a shrinking list never
 * rebuilds it.
 */
export interface DrawPool {
  /** How many positions are still in. */
  readonly size: number;
  /** The position that is j-th (from 0) among those still in; j must be below `size`. */
  nth(j: number): number;
  /** Takes a position out; one already out stays out. */
  remove(position: number): void;
}

export function drawPool(size: number): DrawPool {
  // tree[i] counts the positions still in among (i - lowbit(i), i], 1-based.
  const tree = new Int32Array(size + 1);
  for (let i = 1; i <= size; i++) {
    tree[i] = (tree[i] as number) + 1;
    const parent = i + (i & -i);
    if (parent <= size) tree[parent] = (tree[parent] as number) + (tree[i] as number);
  }
  const out = new Uint8Array(size);
  let left = size;
  let top = 1;
  while (top * 2 <= size) top *= 2;
  return {
    get size() {
      return left;
    },
    nth(j) {
      if (!(Number.isInteger(j) && j >= 0 && j < left)) throw new RangeError(`position ${j} of ${left} still in`);
      // Descends the tree: the largest prefix holding at most j positions still in ends just before it.
      let at = 0;
      let rest = j;
      for (let step = top; step > 0; step >>= 1) {
        const next = at + step;
        if (next <= size && (tree[next] as number) <= rest) {
          at = next;
          rest -= tree[next] as number;
        }
      }
      return at;
    },
    remove(position) {
      if (!(Number.isInteger(position) && position >= 0 && position < size))
        throw new RangeError(`position ${position} of ${size}`);
      if (out[position] !== 0) return;
      out[position] = 1;
      left--;
      for (let i = position + 1; i <= size; i += i & -i) tree[i] = (tree[i] as number) - 1;
    },
  };
}
