/**
 * Pending labels, a binary min-heap on label time. Labels wait here for weeks of simulated time, so
 * they are kept as numbers in typed arrays, not objects: about 40 bytes each and nothing for the
 * garbage collector to promote. The heap orders (time, slot) pairs; a label's payload stays in its
 * slot, and freed slots are reused.
 */
export class LabelHeap {
  private times = new Float64Array(1024);
  private order = new Int32Array(1024);
  private customer = new Int32Array(1024);
  private terminal = new Int32Array(1024);
  private sequence = new Float64Array(1024);
  private transactionTime = new Float64Array(1024);
  private fraud = new Uint8Array(1024);
  private free = new Int32Array(1024);
  private freeCount = 0;
  private slotsUsed = 0;
  size = 0;

  /** Label time of the earliest pending label; Infinity when there is none. */
  peekTime(): number {
    return this.size > 0 ? (this.times[0] ?? 0) : Number.POSITIVE_INFINITY;
  }

  push(
    time: number,
    customer: number,
    terminal: number,
    sequence: number,
    fraud: boolean,
    transactionTime: number,
  ): void {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.free[--this.freeCount] ?? 0;
    } else {
      if (this.slotsUsed === this.customer.length) this.grow();
      slot = this.slotsUsed++;
    }
    this.customer[slot] = customer;
    this.terminal[slot] = terminal;
    this.sequence[slot] = sequence;
    this.fraud[slot] = fraud ? 1 : 0;
    this.transactionTime[slot] = transactionTime;

    const times = this.times;
    const order = this.order;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent] ?? 0;
      if (parentTime <= time) break;
      times[i] = parentTime;
      order[i] = order[parent] ?? 0;
      i = parent;
    }
    times[i] = time;
    order[i] = slot;
  }

  /**
   * Removes the earliest label and returns its slot; read it with the accessors below before the
   * next push (which may reuse the slot).
   */
  pop(): number {
    const times = this.times;
    const order = this.order;
    const top = order[0] ?? 0;
    const last = --this.size;
    const lastTime = times[last] ?? 0;
    const lastSlot = order[last] ?? 0;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      const right = child + 1;
      if (right < last && (times[right] ?? 0) < (times[child] ?? 0)) child = right;
      const childTime = times[child] ?? 0;
      if (childTime >= lastTime) break;
      times[i] = childTime;
      order[i] = order[child] ?? 0;
      i = child;
    }
    times[i] = lastTime;
    order[i] = lastSlot;
    this.free[this.freeCount++] = top;
    return top;
  }

  customerOf(slot: number): number {
    return this.customer[slot] ?? 0;
  }

  terminalOf(slot: number): number {
    return this.terminal[slot] ?? 0;
  }

  sequenceOf(slot: number): number {
    return this.sequence[slot] ?? 0;
  }

  transactionTimeOf(slot: number): number {
    return this.transactionTime[slot] ?? 0;
  }

  isFraud(slot: number): boolean {
    return this.fraud[slot] === 1;
  }

  private grow(): void {
    const length = this.customer.length * 2;
    this.times = resize(this.times, length);
    this.order = resize(this.order, length);
    this.customer = resize(this.customer, length);
    this.terminal = resize(this.terminal, length);
    this.sequence = resize(this.sequence, length);
    this.transactionTime = resize(this.transactionTime, length);
    this.fraud = resize(this.fraud, length);
    this.free = resize(this.free, length);
  }
}

type Typed = Float64Array | Int32Array | Uint8Array;

function resize<T extends Typed>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}
