import { describe, expect, it } from 'vitest';
import { createAligner, type FetchedLane } from './alignment.js';

interface Item {
  time: number;
  id: string;
}
const item = (id: string, time: number): Item => ({ id, time });
const ids = (items: Item[]) => items.map((i) => i.id);
/** A fetch that delivered a batch for the partition, leaving it `behind` messages short of its high watermark. */
const fetched = (partition: number, behind = 0, delivered = true): FetchedLane => ({
  partition,
  highWatermark: 100n + BigInt(behind),
  nextOffset: 100n,
  delivered,
});

describe('aligner', () => {
  it('merges buffered partitions in event-time order, each partition in its own order', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0), fetched(1)]);
    a.push(0, [item('a1', 10), item('a2', 30), item('a3', 50)]);
    a.push(1, [item('b1', 20), item('b2', 40)]);
    expect(ids(a.take(0).items)).toEqual(['a1', 'b1', 'a2', 'b2', 'a3']);
    expect(a.buffered).toBe(0);
  });

  it('with a limit, takes rounds of at most that weight (at least one record), in the same order', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0), fetched(1)]);
    a.push(0, [item('a1', 10), item('a2', 30), item('a3', 50)]);
    a.push(1, [item('b1', 20), item('b2', 40)]);
    const limit = { max: 3, weight: (i: Item) => (i.id === 'b1' ? 5 : 1) };
    expect(ids(a.take(0, limit).items)).toEqual(['a1', 'b1']);
    expect(ids(a.take(0, limit).items)).toEqual(['a2', 'b2', 'a3']);
    expect(a.take(0, limit).items).toEqual([]);
  });

  it('holds records back while a partition with data on the broker has nothing buffered', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0), fetched(1, 50, false)]);
    a.push(0, [item('a1', 10), item('a2', 30)]);
    const held = a.take(0);
    expect(held.items).toEqual([]);
    expect(held.retryAt).toBe(1000);
    a.fetched([fetched(1)]);
    a.push(1, [item('b1', 5), item('b2', 20)]);
    expect(ids(a.take(10).items)).toEqual(['b1', 'a1', 'b2', 'a2']);
  });

  it('holds a record for a partition ordered before it that may still bring one of the same time', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0, 50), fetched(1)]);
    a.push(0, [item('a1', 20)]);
    a.push(1, [item('b1', 20), item('b2', 30)]);
    // a1 goes; b1 ties with where partition 0 stands, and partition 0 goes first at a tie
    expect(ids(a.take(0).items)).toEqual(['a1']);
    a.fetched([fetched(0, 49)]);
    a.push(0, [item('a2', 20)]);
    // still behind at 20: its next may be of 20 too
    expect(ids(a.take(1).items)).toEqual(['a2']);
    a.fetched([fetched(0)]);
    a.push(0, [item('a3', 21)]);
    expect(ids(a.take(2).items)).toEqual(['b1', 'a3', 'b2']);
    // partition 1 at 20 does not hold partition 0's record of 20 (partition 0 goes first)
    const b = createAligner<Item>({ maxWaitMs: 1000 });
    b.assigned([0, 1]);
    b.fetched([fetched(0), fetched(1, 50)]);
    b.push(1, [item('b1', 20)]);
    b.push(0, [item('a1', 20), item('a2', 25)]);
    expect(ids(b.take(0).items)).toEqual(['a1', 'b1']);
  });

  it('waits for a partition assigned but not fetched yet', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0)]);
    a.push(0, [item('a1', 10)]);
    expect(a.take(0).items).toEqual([]);
  });

  it('does not wait for a caught-up partition (live traffic)', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0), fetched(1, 0, false)]);
    a.push(0, [item('a1', 10), item('a2', 30)]);
    expect(ids(a.take(0).items)).toEqual(['a1', 'a2']);
  });

  it('releases up to the last record of a partition whose next batch is still being handled', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0, 10), fetched(1, 10)]);
    a.push(1, [item('b1', 20)]);
    a.push(0, [item('a1', 10), item('a2', 30)]);
    // partition 1 is behind its high watermark: nothing after its last record (20) goes
    expect(ids(a.take(0).items)).toEqual(['a1', 'b1']);
    a.fetched([fetched(1), fetched(0, 0, false)]);
    expect(a.take(1).items).toEqual([]);
    a.push(1, [item('b2', 40)]);
    expect(ids(a.take(2).items)).toEqual(['a2', 'b2']);
  });

  it('passes over a partition that holds the others back for maxWaitMs, until it delivers again', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0), fetched(1, 5, false)]);
    a.push(0, [item('a1', 10)]);
    expect(a.take(0).items).toEqual([]);
    expect(a.take(999).items).toEqual([]);
    const late = a.take(1000);
    expect(ids(late.items)).toEqual(['a1']);
    expect(late.passedOver).toBe(1);
    a.fetched([fetched(0)]);
    a.push(0, [item('a2', 20)]);
    expect(ids(a.take(1001).items)).toEqual(['a2']);
    // once partition 1 is heard from again, it is waited for again
    a.fetched([fetched(1, 5, false)]);
    a.fetched([fetched(0)]);
    a.push(0, [item('a3', 30)]);
    expect(a.take(1002).items).toEqual([]);
  });

  it('releases equal times in partition order, and clears what is buffered', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000 });
    a.assigned([0, 1]);
    a.fetched([fetched(0, 5), fetched(1, 5)]);
    a.push(1, [item('b1', 10), item('b2', 50)]);
    a.push(0, [item('a1', 10), item('a2', 60)]);
    expect(ids(a.take(0).items)).toEqual(['a1', 'b1', 'b2']);
    expect(ids(a.clear())).toEqual(['a2']);
    expect(a.buffered).toBe(0);
  });

  it('with confirmCaughtUp, waits for a later fetch to confirm a caught-up partition', () => {
    const a = createAligner<Item>({ maxWaitMs: 1000, confirmCaughtUp: true });
    a.assigned([0, 1]);
    // the fetch that brought a1 found partition 1 caught up: it may have read 1 before b1 landed
    a.fetched([fetched(0), fetched(1, 0, false)]);
    a.push(0, [item('a1', 10)]);
    expect(a.take(0).items).toEqual([]);
    // the next fetch has b1 after all: it goes first
    a.fetched([fetched(0, 0, false), fetched(1)]);
    a.push(1, [item('b1', 5)]);
    expect(ids(a.take(1).items)).toEqual(['b1', 'a1']);
    // a record is released once a later fetch finds the others still caught up
    a.fetched([fetched(0), fetched(1, 0, false)]);
    a.push(0, [item('a2', 20)]);
    expect(a.take(2).items).toEqual([]);
    a.fetched([fetched(0, 0, false), fetched(1, 0, false)]);
    expect(ids(a.take(3).items)).toEqual(['a2']);
  });

  describe('with other members holding partitions', () => {
    const at = (startedAt: number, returnedAt: number) => ({ startedAt, returnedAt });
    const state = (partition: number, bound: number, caughtUpAt = 0) => ({ partition, bound, caughtUpAt });

    it('holds a record back until the other member has applied its earlier ones', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0]);
      a.fetched([fetched(0)], at(90, 100));
      a.push(0, [item('a1', 10), item('a2', 30)]);
      // partition 1's next record is at 20: a1 goes, a2 waits
      a.remote([state(1, 20)]);
      const first = a.take(0);
      expect(ids(first.items)).toEqual(['a1']);
      expect(first.retryAt).toBe(1000);
      a.remote([state(1, 40)]);
      expect(ids(a.take(5).items)).toEqual(['a2']);
    });

    it('trusts a remote caught-up only from a fetch that started after the record had arrived', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0]);
      a.fetched([fetched(0)], at(90, 100));
      a.push(0, [item('a1', 10)]);
      // caught up at a fetch sent before a1 arrived: an earlier record may have landed since
      a.remote([state(1, 5, 95)]);
      expect(a.take(0).items).toEqual([]);
      a.remote([state(1, 5, 101)]);
      expect(ids(a.take(1).items)).toEqual(['a1']);
    });

    it('waits for a partition no member has published yet, then passes over it until it publishes', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0]);
      a.fetched([fetched(0)], at(90, 100));
      a.push(0, [item('a1', 10), item('a2', 30)]);
      a.remote([state(1, Number.NEGATIVE_INFINITY)]);
      expect(a.take(0).items).toEqual([]);
      const passed = a.take(1000);
      expect(ids(passed.items)).toEqual(['a1', 'a2']);
      expect(passed.passedOver).toBe(1);
      a.fetched([fetched(0)], at(190, 200));
      a.push(0, [item('a3', 40)]);
      a.remote([state(1, Number.NEGATIVE_INFINITY)]);
      expect(ids(a.take(1001).items)).toEqual(['a3']);
      // it publishes: waited for again
      a.fetched([fetched(0)], at(290, 300));
      a.push(0, [item('a4', 50)]);
      a.remote([state(1, 45)]);
      expect(a.take(1002).items).toEqual([]);
    });

    it('waits for a partition its member makes progress on, however long that takes', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0]);
      a.fetched([fetched(0)], at(90, 100));
      a.push(0, [item('a1', 50)]);
      a.remote([state(1, 10)], 0);
      expect(a.take(0).items).toEqual([]);
      a.remote([state(1, 20)], 900);
      expect(a.take(1500).retryAt).toBe(1900);
      a.remote([state(1, 30)], 1800);
      expect(a.take(2500).items).toEqual([]);
      // no progress for maxWaitMs: passed over
      a.remote([state(1, 30)], 2900);
      const passed = a.take(2900);
      expect(ids(passed.items)).toEqual(['a1']);
      expect(passed.passedOver).toBe(1);
    });

    it("gives another member memberWaitMs, and this member's partitions maxWaitMs", () => {
      const a = createAligner<Item>({ maxWaitMs: 1000, memberWaitMs: 10_000 });
      a.assigned([0, 1]);
      a.fetched([fetched(0), fetched(1, 50, false)], at(90, 100));
      a.push(0, [item('a1', 10)]);
      a.remote([state(2, 5)], 0);
      expect(a.take(0).retryAt).toBe(10_000);
      expect(a.take(5_000).items).toEqual([]);
      const passed = a.take(10_000);
      expect(ids(passed.items)).toEqual(['a1']);
      expect(passed.passedOver).toBe(2);
    });

    it('drops what it buffered at a rebalance, and publishes each partition as of what was taken', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000, memberWaitMs: 10_000 });
      a.assigned([0]);
      a.fetched([fetched(0)], at(90, 100));
      a.push(0, [item('a1', 10), item('a2', 20), item('a3', 30)]);
      a.remote([state(1, 15)], 0);
      expect(ids(a.take(0).items)).toEqual(['a1']);
      // partition 1's member is gone: nothing passes it, the rebalance hands a2 and a3 back
      expect(ids(a.clear())).toEqual(['a2', 'a3']);
      expect(a.buffered).toBe(0);
      expect(a.take(1).items).toEqual([]);
      expect(a.states()).toEqual([state(0, 10)]);
      // the new assignment starts at the last commit: a2 comes again, after a1
      expect(a.assigned([0, 1])).toEqual([]);
      a.fetched([fetched(0), fetched(1)], at(190, 200));
      a.push(0, [item('a2', 20), item('a3', 30)]);
      a.push(1, [item('b1', 15)]);
      expect(ids(a.take(2).items)).toEqual(['b1', 'a2', 'a3']);
    });

    it('drops what it buffered when assigned anew, keeping no partition it lost', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0, 1]);
      a.fetched([fetched(0, 5), fetched(1)], at(90, 100));
      a.push(0, [item('a1', 10)]);
      a.push(1, [item('b1', 20)]);
      expect(ids(a.take(0).items)).toEqual(['a1']);
      a.push(0, [item('a2', 30)]);
      expect(ids(a.assigned([0]))).toEqual(['a2', 'b1']);
      expect(a.states()).toEqual([state(0, 10)]);
    });

    it('ignores what another member published for a partition now assigned here', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0, 1]);
      a.fetched([fetched(0), fetched(1, 0, false)], at(90, 100));
      a.push(0, [item('a1', 10)]);
      a.remote([state(1, 5)]);
      expect(ids(a.take(0).items)).toEqual(['a1']);
    });

    it('publishes each partition: its next record, or its last and when a fetch found it caught up', () => {
      const a = createAligner<Item>({ maxWaitMs: 1000 });
      a.assigned([0, 1, 2]);
      a.fetched([fetched(0, 5), fetched(1, 0, false), fetched(2, 5, false)], at(90, 100));
      a.push(0, [item('a1', 10)]);
      expect(a.states()).toEqual([
        state(0, 10),
        state(1, Number.NEGATIVE_INFINITY, 90),
        state(2, Number.NEGATIVE_INFINITY),
      ]);
      a.fetched([fetched(0), fetched(2, 0, false)], at(190, 200));
      a.push(0, [item('a2', 20)]);
      expect(ids(a.take(1).items)).toEqual(['a1', 'a2']);
      // everything of partition 0 applied, and the fetch that brought its last record reached the end
      expect(a.states()[0]).toEqual(state(0, 20, 190));
    });
  });
});
