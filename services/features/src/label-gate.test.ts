import { describe, expect, it } from 'vitest';
import {
  createLabelGate,
  decodeProgress,
  encodeProgress,
  judgeLabels,
  type LabelPartitionOffsets,
  type LabelProgress,
  partitionCaughtUp,
  partitionReady,
  untouchedReady,
} from './label-gate.js';

const L = 300_000;
const progress = (nextOffset: number, highWatermark: number, watermark: number): LabelProgress => ({
  nextOffset: BigInt(nextOffset),
  highWatermark: BigInt(highWatermark),
  watermark,
});
const offsets = (partition: number, low: number, high: number, committed = -1): LabelPartitionOffsets => ({
  partition,
  low: BigInt(low),
  high: BigInt(high),
  committed: BigInt(committed),
});

describe('partition readiness', () => {
  it('is ready once the label watermark is a lateness past t, or everything fetched was consumed', () => {
    expect(partitionReady(progress(10, 50, 1_000_000), 1_000_000 - L, L)).toBe(true);
    expect(partitionReady(progress(10, 50, 1_000_000), 1_000_000 - L + 1, L)).toBe(false);
    expect(partitionReady(progress(50, 50, 0), 1e15, L)).toBe(true);
    expect(partitionReady(progress(49, 50, 0), 1e15, L)).toBe(false);
    // the broker has labels the consumer has not fetched yet
    expect(partitionReady(progress(50, 50, 0), 1e15, L, 51n)).toBe(false);
    expect(partitionReady(progress(51, 50, 0), 1e15, L, 51n)).toBe(true);
  });

  it('counts a partition without progress as ready only if the labels group has nothing to consume there', () => {
    expect(untouchedReady(offsets(0, 0, 0))).toBe(true);
    expect(untouchedReady(offsets(0, 7, 7))).toBe(true);
    expect(untouchedReady(offsets(0, 0, 7, 7))).toBe(true);
    expect(untouchedReady(offsets(0, 0, 7))).toBe(false);
    expect(untouchedReady(offsets(0, 0, 7, 6))).toBe(false);
    // A lookup without the low offsets and commits (-1) proves nothing for it, even when empty.
    expect(untouchedReady(offsets(0, -1, 0, -1))).toBe(false);
  });

  it('judges every partition against one lookup: ready for t, ready through, caught up whatever t', () => {
    const lookup = [offsets(0, 0, 100), offsets(1, 0, 0), offsets(2, 0, 50)];
    const at = (entries: [number, LabelProgress][]) => new Map(entries);
    // partition 2 behind, its watermark past t; partition 1 untouched and empty
    const behind = at([
      [0, progress(100, 100, 5e6)],
      [2, progress(10, 60, 2e6)],
    ]);
    expect(judgeLabels(lookup, behind, 1e6, L)).toEqual({
      ready: true,
      through: Number.NEGATIVE_INFINITY,
      caughtUp: false,
    });
    expect(judgeLabels(lookup, behind, 2e6, L).ready).toBe(false);
    const all = at([
      [0, progress(100, 100, 5e6)],
      [1, progress(0, 0, 4e6)],
      [2, progress(60, 60, 2e6)],
    ]);
    expect(judgeLabels(lookup, all, 1e15, L)).toEqual({ ready: true, through: 2e6 - L, caughtUp: true });
    // the broker had a label at offset 100 of partition 0 that the consumer has not fetched
    expect(judgeLabels([offsets(0, 0, 101)], all, 1e15, L)).toMatchObject({ ready: false, caughtUp: false });
    // partition 1 has labels its group has not consumed yet
    expect(judgeLabels([offsets(1, 0, 3)], new Map(), 0, L)).toMatchObject({ ready: false, caughtUp: false });
    expect(partitionCaughtUp(progress(60, 60, 0), 60n)).toBe(true);
    expect(partitionCaughtUp(progress(60, 61, 0), 60n)).toBe(false);
  });

  it('round-trips progress through its stored text, -Infinity included', () => {
    for (const p of [progress(12, 40, 1_767_225_600_123), progress(0, 3, Number.NEGATIVE_INFINITY)]) {
      expect(decodeProgress(encodeProgress(p))).toEqual(p);
    }
  });
});

/** A labels topic of two partitions whose progress the test moves by hand, on a fake clock. */
function fakeSource() {
  const state = { progress: new Map<number, LabelProgress>(), offsets: [offsets(0, 0, 100), offsets(1, 0, 100)] };
  const calls = { progress: 0, offsets: 0 };
  return {
    state,
    calls,
    source: {
      progress: async () => {
        calls.progress++;
        return new Map(state.progress);
      },
      offsets: async () => {
        calls.offsets++;
        return state.offsets;
      },
    },
  };
}

describe('createLabelGate', () => {
  it('waits until every partition passed t, heartbeating meanwhile', async () => {
    const { state, source } = fakeSource();
    let clock = 0;
    let heartbeats = 0;
    const gate = createLabelGate({
      source,
      latenessMs: L,
      maxWaitMs: 60_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        // the labels consumer moves on: partition 0 first, partition 1 later
        if (clock === 20) state.progress.set(0, progress(40, 100, 2_000_000));
        if (clock === 50) state.progress.set(1, progress(30, 100, 1_900_000));
      },
    });
    const waited = await gate.wait(1_500_000, {
      heartbeat: async () => {
        heartbeats++;
      },
    });
    expect(waited).toEqual({ waitedMs: 50, timedOut: false });
    expect(heartbeats).toBe(10);
  });

  it('answers from what it knows, without reading, for times the watermarks already passed', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, progress(10, 100, 2_000_000));
    state.progress.set(1, progress(10, 100, 3_000_000));
    const gate = createLabelGate({ source, latenessMs: L, maxWaitMs: 1000, sleep: async () => {} });
    expect((await gate.wait(1_000_000)).timedOut).toBe(false);
    const reads = calls.progress;
    expect((await gate.wait(2_000_000 - L)).waitedMs).toBe(0);
    expect(calls.progress).toBe(reads);
  });

  it('goes on after the maximum wait, saying so', async () => {
    const { source } = fakeSource();
    let clock = 0;
    const gate = createLabelGate({
      source,
      latenessMs: L,
      maxWaitMs: 1000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    expect(await gate.wait(5)).toEqual({ waitedMs: 1000, timedOut: true });
  });

  it('lets live traffic through when the labels consumer is at the end of every partition', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, progress(100, 100, 1_000));
    state.offsets = [offsets(0, 0, 100), offsets(1, 0, 0)]; // partition 1 never had a label
    const gate = createLabelGate({ source, latenessMs: L, maxWaitMs: 1000, sleep: async () => {} });
    expect(await gate.wait(Date.now())).toMatchObject({ timedOut: false });
    expect(calls.offsets).toBe(1);
  });
});

describe('what the label gate costs per batch', () => {
  const T = 1_767_225_600_000; // live event time; label watermarks trail it
  const live = (nextOffset: number) => progress(nextOffset, nextOffset, T - 60_000);

  /** A gate on a fake clock: `sleep` moves it, and `onSleep` lets the labels consumer move on meanwhile. */
  function clockedGate(source: ReturnType<typeof fakeSource>['source'], onSleep: (clock: number) => void = () => {}) {
    const clock = { now: 0 };
    const gate = createLabelGate({
      source,
      latenessMs: L,
      maxWaitMs: 60_000,
      now: () => clock.now,
      sleep: async (ms) => {
        clock.now += ms;
        onSleep(clock.now);
      },
    });
    return { gate, clock };
  }

  it('answers a replay from label watermarks: one lookup per refresh interval, one progress read per batch', async () => {
    const { state, calls, source } = fakeSource();
    state.offsets = [offsets(0, 0, 500), offsets(1, 0, 300)];
    const { gate, clock } = clockedGate(source);
    for (let i = 0; i < 100; i++) {
      clock.now = i * 9;
      // the labels consumer is behind the broker, its label watermarks ahead of each batch
      state.progress.set(0, progress(10 + i, 500, T + i * 1000 + L));
      state.progress.set(1, progress(20 + i, 300, T + i * 1000 + L + 1));
      expect(await gate.wait(T + i * 1000)).toEqual({ waitedMs: 0, timedOut: false });
    }
    expect(calls).toEqual({ progress: 100, offsets: 1 });
  });

  it('needs a lookup newer than each batch for a partition that never had a label (one may just have been)', async () => {
    const { state, calls, source } = fakeSource();
    state.offsets = [offsets(0, 0, 500), offsets(1, 0, 0)];
    const { gate, clock } = clockedGate(source);
    for (let i = 0; i < 10; i++) {
      clock.now = i * 9;
      state.progress.set(0, progress(10 + i, 500, T + i * 1000 + L));
      expect(await gate.wait(T + i * 1000)).toEqual({ waitedMs: 0, timedOut: false });
    }
    expect(calls).toEqual({ progress: 10, offsets: 10 });
  });

  it('serves batches received before one lookup with it: one lookup and one progress read, empty topic', async () => {
    const { state, calls, source } = fakeSource();
    state.offsets = [offsets(0, 0, 0), offsets(1, 0, 0)];
    const { gate, clock } = clockedGate(source);
    const received = gate.received(); // a backlog: every batch arrived before the first lookup
    for (let i = 0; i < 200; i++) {
      clock.now = i * 4;
      expect(await gate.wait(T + i * 5, { received })).toEqual({ waitedMs: 0, timedOut: false });
    }
    expect(calls).toEqual({ progress: 1, offsets: 1 });
  });

  it('answers from memory, without reading progress, once every partition was caught up against a lookup newer than the batch', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, live(100));
    state.progress.set(1, live(100));
    const { gate, clock } = clockedGate(source);
    const received = gate.received();
    for (let i = 0; i < 200; i++) {
      clock.now = i * 4;
      expect(await gate.wait(T + i * 5, { received })).toEqual({ waitedMs: 0, timedOut: false });
    }
    expect(calls).toEqual({ progress: 1, offsets: 1 });
  });

  it('shares one lookup and one progress read among concurrent batches received together', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, live(100));
    state.progress.set(1, live(100));
    const { gate } = clockedGate(source);
    const received = gate.received();
    const waits = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => gate.wait(T + i, { received })));
    expect(waits.every((w) => !w.timedOut)).toBe(true);
    expect(calls).toEqual({ progress: 1, offsets: 1 });
  });

  it('costs live traffic one lookup per round, asked for as its records arrive, and none when watermarks answer', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, live(100));
    state.progress.set(1, live(100));
    const { gate, clock } = clockedGate(source);
    for (let i = 0; i < 10; i++) {
      clock.now = i * 10;
      const received = gate.received(true); // the fetch's answer is in: its lookup goes out now
      expect(calls.offsets).toBe(i + 1);
      await new Promise((r) => setImmediate(r)); // answered before the round is taken
      expect(await gate.wait(T + i * 10, { received })).toEqual({ waitedMs: 0, timedOut: false });
      expect(calls.offsets).toBe(i + 1);
    }
    // a replay: label watermarks past each batch, so no lookup goes out as records arrive
    state.progress.set(0, progress(100, 100, T + 3 * L));
    state.progress.set(1, progress(100, 100, T + 3 * L));
    clock.now = 100;
    await gate.wait(T + L, { received: gate.received(true) });
    const lookups = calls.offsets;
    for (let i = 1; i < 10; i++) {
      clock.now = 100 + i * 10;
      expect(await gate.wait(T + L + i, { received: gate.received(true) })).toEqual({ waitedMs: 0, timedOut: false });
    }
    expect(calls.offsets).toBe(lookups);
  });

  it('does not take a lookup asked for before the batch arrived, even one answered after', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, live(100));
    state.progress.set(1, live(100));
    let answerFirst: () => void = () => {};
    const slow = {
      ...source,
      offsets: async () => {
        const seen = state.offsets; // what the broker had when asked
        if (calls.offsets++ === 0) await new Promise<void>((r) => (answerFirst = r));
        return seen;
      },
    };
    const { gate } = clockedGate(slow, (now) => {
      if (now === 25) state.progress.set(0, live(101));
    });
    const first = gate.wait(T); // its lookup sees offsets 100 and 100, and is slow to answer
    // a label, then a transaction after it: this batch arrived after the first lookup was asked for
    state.offsets = [offsets(0, 0, 101), offsets(1, 0, 100)];
    const received = gate.received();
    const second = gate.wait(T + 1, { received });
    answerFirst();
    expect(await first).toMatchObject({ timedOut: false }); // (on the clock the second's waiting moves)
    expect(await second).toEqual({ waitedMs: 25, timedOut: false });
    expect(calls.offsets).toBe(2);
  });

  it('holds a batch for a label published after the last lookup and before the batch arrived', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, live(100));
    state.progress.set(1, live(100));
    const { gate, clock } = clockedGate(source, (now) => {
      // the labels consumer applies the new label 20 ms into the wait
      if (now === 520) state.progress.set(0, live(101));
    });
    expect(await gate.wait(T)).toEqual({ waitedMs: 0, timedOut: false });
    clock.now = 300;
    // a label is published on partition 0, then a transaction after it, which arrives at 500: the
    // lookup at 0 cannot vouch for it, so the gate looks again and waits until the label is applied
    state.offsets = [offsets(0, 0, 101), offsets(1, 0, 100)];
    clock.now = 500;
    expect(await gate.wait(T + 500)).toEqual({ waitedMs: 20, timedOut: false });
    expect(calls.offsets).toBe(2);
  });

  it('does not wait for a label published after the batch arrived (late for it, as in any stream join)', async () => {
    const { state, calls, source } = fakeSource();
    state.progress.set(0, live(100));
    state.progress.set(1, live(100));
    const { gate } = clockedGate(source);
    const received = gate.received(true);
    await new Promise((r) => setImmediate(r));
    state.offsets = [offsets(0, 0, 101), offsets(1, 0, 100)]; // published after the lookup it needs
    expect(await gate.wait(T, { received })).toEqual({ waitedMs: 0, timedOut: false });
    expect(calls.offsets).toBe(1);
  });

  it('asks for the labels group commits only while a partition has no progress', async () => {
    const { state, source } = fakeSource();
    const asked: boolean[] = [];
    const recording = {
      ...source,
      offsets: (o?: { committed?: boolean }) => {
        asked.push(o?.committed ?? true);
        return source.offsets();
      },
    };
    state.progress.set(0, live(100));
    state.offsets = [offsets(0, 0, 100), offsets(1, 0, 100, 100)]; // partition 1: committed, no progress
    const { gate } = clockedGate(recording);
    expect(await gate.wait(T)).toEqual({ waitedMs: 0, timedOut: false });
    expect(await gate.wait(T + 1)).toEqual({ waitedMs: 0, timedOut: false });
    state.progress.set(1, live(100));
    expect(await gate.wait(T + 2)).toEqual({ waitedMs: 0, timedOut: false });
    expect(await gate.wait(T + 3)).toEqual({ waitedMs: 0, timedOut: false });
    expect(asked).toEqual([true, true, true, false]);
  });
});
