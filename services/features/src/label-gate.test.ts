import { describe, expect, it } from 'vitest';
import {
  createLabelGate,
  decodeProgress,
  encodeProgress,
  type LabelPartitionOffsets,
  type LabelProgress,
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
    const waited = await gate.wait(1_500_000, async () => {
      heartbeats++;
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
    expect(await gate.wait(Date.now(), async () => {})).toMatchObject({ timedOut: false });
    expect(calls.offsets).toBe(1);
  });
});
