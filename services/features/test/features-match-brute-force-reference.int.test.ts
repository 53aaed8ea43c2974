import {
  agg,
  computeReference,
  type FeatureSet,
  featureSet,
  fraudFeatureSet,
  groupBy,
  NO_WATERMARK,
  type ReferenceEvent,
  WATERMARK_RANK,
} from '@pipeline/feature-sets';
import { servers, uniqueName } from '@pipeline/testing';
import type { Label, Transaction } from '@pipeline/topology';
import { afterAll, describe, expect, it } from 'vitest';
import { type Engine, processLabels, processTransactions } from '../src/engine.js';
import { ExpiredDuplicateError } from '../src/errors.js';
import { STATE_LAYOUT } from '../src/keys.js';
import { compilePlan } from '../src/plan.js';
import { createRedis } from '../src/redis.js';
import { deletePrefix } from './harness.js';
import { randomStream, rng } from './random-streams.js';
import { simInputs } from './sim-inputs.js';

const LATENESS = 10 * 60_000;
const redis = createRedis(servers());
afterAll(() => redis.quit());

/** `watermarkRank` 1: the watermark is the latest time, so state folds and prunes after every event. */
function engine(prefix: string, watermarkRank = WATERMARK_RANK): Engine {
  return {
    set: fraudFeatureSet,
    plan: compilePlan(fraudFeatureSet, LATENESS),
    prefix,
    rules: { maxAmountMinor: 100_000_000, maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS, watermarkRank },
  };
}
const PRUNE_EVERY_EVENT = { allowedLatenessMs: LATENESS, watermarkRank: 1 };

/**
 * Feeds the stream in arrival order, in batches of random size (up to `maxBatch`) of consecutive
 * same-kind events, each stream's watermark carried from batch to batch.
 */
async function runEngine(e: Engine, events: ReferenceEvent[], seed: number, maxBatch = 20) {
  const r = rng(seed);
  const results: { event_id: string; status: string; values?: number[] }[] = [];
  let txWatermark = NO_WATERMARK;
  let labelWatermark = NO_WATERMARK;
  let i = 0;
  while (i < events.length) {
    const kind = events[i]?.kind;
    const size = 1 + Math.floor(r() * maxBatch);
    const batch: ReferenceEvent[] = [];
    while (i < events.length && batch.length < size && events[i]?.kind === kind)
      batch.push(events[i++] as ReferenceEvent);
    if (kind === 'transaction') {
      const txs = batch.map((b) => b.value as Transaction);
      const out = await processTransactions(redis, e, txs, txWatermark, Date.now());
      txWatermark = out.watermark;
      out.outcomes.forEach((o, j) => {
        const id = (txs[j] as Transaction).event_id;
        if (o.ok) results.push({ event_id: id, status: 'ok', values: o.value.features.values });
        else
          results.push({
            event_id: id,
            status: o.error.constructor.name === 'LateEventError' ? 'late' : o.error.message,
          });
      });
    } else {
      const out = await processLabels(
        redis,
        e,
        batch.map((b) => b.value as Label),
        labelWatermark,
        Date.now(),
      );
      labelWatermark = out.watermark;
    }
  }
  return results;
}

type EngineResult = Awaited<ReturnType<typeof runEngine>>[number];

function expectSameVectors(
  expected: ReturnType<typeof computeReference>,
  actual: EngineResult[],
  set: FeatureSet = fraudFeatureSet,
): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const want = expected[k];
    const got = actual[k];
    if (want?.status === 'ok' && got?.status === 'ok') {
      const diff = set.names.filter((_, j) => !Object.is(want.values[j], got.values?.[j]));
      expect(
        diff.map((name) => [name, want.values[set.index(name)], got.values?.[set.index(name)]]),
        `event ${k} ${want.event_id}`,
      ).toEqual([]);
    } else {
      expect(got?.status, `event ${k} ${want?.event_id}`).toBe(want?.status);
    }
  }
}

/** Every entity's state string under a prefix, by key without the prefix. */
async function stateStrings(prefix: string): Promise<Map<string, string | null>> {
  const keys = (await redis.keys(`${prefix}*:s${STATE_LAYOUT}`)).sort();
  const values = keys.length > 0 ? await redis.mget(...keys) : [];
  return new Map(keys.map((k, i) => [k.slice(prefix.length), values[i] ?? null]));
}

describe('every feature equals a brute-force reference computed from the event list', () => {
  for (const [seed, rank] of [1, 2, 3, 4, 5, 6].flatMap((s) => [
    [s, WATERMARK_RANK],
    [s, 1],
  ])) {
    it(`random stream ${seed}, watermark rank ${rank}: gaps, out-of-order within and beyond lateness, duplicates, late labels`, async () => {
      const events = randomStream(seed as number, 250, LATENESS);
      const expected = computeReference(fraudFeatureSet, events, { allowedLatenessMs: LATENESS, watermarkRank: rank });
      const actual = await runEngine(engine(`${uniqueName('prop')}:`, rank), events, (seed as number) * 7);
      // sanity: the stream exercises what it claims to
      expect(expected.filter((x) => x.status === 'late').length).toBeGreaterThan(0);
      expectSameVectors(expected, actual);
    });
  }
});

describe('labels applied ahead of the transactions (a replay: the labels consumer runs first)', () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(redis, p);
  });

  for (const seed of [1, 2, 3]) {
    it(`random stream ${seed}: a label counts by its label time, and the state ends as with any interleaving`, async () => {
      const events = randomStream(seed, 250, LATENESS);
      const labelsFirst = [
        ...events.filter((e) => e.kind === 'label'),
        ...events.filter((e) => e.kind === 'transaction'),
      ];
      // With every label before every transaction, the reference counts a label iff it is not late
      // and its label time is before the transaction: what the label gate gives the service.
      const expected = computeReference(fraudFeatureSet, labelsFirst, { allowedLatenessMs: LATENESS });
      const ahead = `${uniqueName('ahead')}:`;
      const interleaved = `${uniqueName('interleaved')}:`;
      prefixes.push(ahead, interleaved);
      const actual = await runEngine(engine(ahead), labelsFirst, seed * 11);
      expect(actual.filter((r) => r.status === 'ok').length).toBeGreaterThan(100);
      const fraud30d = fraudFeatureSet.index('terminal_fraud_rate_30d');
      expect(actual.some((r) => (r.values?.[fraud30d] ?? 0) > 0)).toBe(true);
      expectSameVectors(expected, actual);

      await runEngine(engine(interleaved), events, seed * 13);
      const a = await stateStrings(ahead);
      expect(a.size).toBeGreaterThan(3);
      expect(a).toEqual(await stateStrings(interleaved));
    });
  }
});

describe('a redelivery after the output retention', () => {
  it('changes no state and is refused, not re-emitted with a different vector', async () => {
    const e: Engine = {
      ...engine(`${uniqueName('expired')}:`),
      plan: compilePlan(fraudFeatureSet, LATENESS, 3_600_000),
    };
    const events = randomStream(9, 40, LATENESS).flatMap((x) => (x.kind === 'transaction' ? [x.value] : []));
    const first = events[0] as Transaction;
    // enough later times to carry the watermark past the first one's output retention
    const later = Array.from({ length: WATERMARK_RANK }, (_, k) => ({
      ...first,
      event_id: `later${k}`,
      event_time: first.event_time + 2 * 3_600_000 + LATENESS + k,
    }));
    const a = await processTransactions(redis, e, [first, ...later], NO_WATERMARK, Date.now());
    expect(a.outcomes.every((o) => o.ok)).toBe(true);
    // redelivered from an old committed offset: the watermark is the one restored for that offset
    const again = await processTransactions(redis, e, [first], NO_WATERMARK, Date.now());
    const outcome = again.outcomes[0];
    expect(outcome?.ok).toBe(false);
    expect(outcome && !outcome.ok && outcome.error).toBeInstanceOf(ExpiredDuplicateError);
  });
});

describe('distinct terminals per customer', () => {
  it('are exact up to the cap, then count the cap plus the recent raw log', async () => {
    const HOUR = 3_600_000;
    const base = randomStream(9, 1, LATENESS)[0]?.value as Transaction;
    // one customer, six terminals an hour apart: at the sixth, five were used in the last day; after
    // each, other traffic half an hour later carries the watermark on (what lets the raw log fold)
    const txs = [0, 1, 2, 3, 4, 5].flatMap((i) => [
      {
        ...base,
        event_id: `cap-${i}`,
        customer_id: 'cap',
        terminal_id: `term${i}`,
        event_time: base.event_time + i * HOUR,
      },
      ...Array.from({ length: WATERMARK_RANK }, (_, k) => ({
        ...base,
        event_id: `other-${i}-${k}`,
        customer_id: 'other',
        terminal_id: 'elsewhere',
        event_time: base.event_time + i * HOUR + HOUR / 2 + k,
      })),
    ]);
    const distinct1d = async (cap?: number) => {
      const e: Engine = {
        ...engine(`${uniqueName('cap')}:`),
        plan: compilePlan(fraudFeatureSet, LATENESS, undefined, cap),
      };
      const out = await processTransactions(redis, e, txs, NO_WATERMARK, Date.now());
      const last = out.outcomes[5 * (1 + WATERMARK_RANK)];
      return last?.ok ? last.value.features.values[fraudFeatureSet.index('customer_terminal_distinct_1d')] : undefined;
    };
    expect(await distinct1d()).toBe(5);
    // cap 3: term1..term3 kept of the four that left the raw log, term4 still in it
    expect(await distinct1d(3)).toBe(4);
  });
});

describe('a fraud label known long after its transaction', () => {
  it('counts only from its label time on, also once its transaction is behind the state kept raw', async () => {
    const HOUR = 3_600_000;
    const DAY = 24 * HOUR;
    const base = randomStream(9, 1, LATENESS)[0]?.value as Transaction;
    const X = base.event_time;
    const tx = (id: string, at: number): ReferenceEvent => ({
      kind: 'transaction',
      value: { ...base, event_id: id, customer_id: `c-${id}`, terminal_id: 'late-label', event_time: at },
    });
    const label: ReferenceEvent = {
      kind: 'label',
      value: {
        transaction_id: 'a',
        customer_id: 'c-a',
        terminal_id: 'late-label',
        is_fraud: true,
        label_time: X + 10 * DAY,
        transaction_time: X,
      },
    };
    // the label first (the labels consumer ahead), then transactions up to and past its label time
    const events = [
      label,
      tx('a', X),
      ...[7 * DAY + 2 * HOUR, 8 * DAY, 9 * DAY, 10 * DAY, 10 * DAY + 1].map((d, i) => tx(`b${i}`, X + d)),
    ];
    const expected = computeReference(fraudFeatureSet, events, { allowedLatenessMs: LATENESS });
    const rate7d = fraudFeatureSet.index('terminal_fraud_rate_7d');
    expect(expected.map((r) => (r.status === 'ok' ? r.values[rate7d] : undefined))).toEqual([
      Number.NaN,
      0,
      0,
      0,
      0,
      1,
    ]);
    // one call per event, so the state is pruned between transactions
    const e = engine(`${uniqueName('late-label')}:`, 1);
    const actual = await runEngine(e, events, 1, 1);
    expectSameVectors(expected, actual);
  });
});

describe('fraud rates at the edges of their delayed windows', () => {
  it('include the window start, exclude s = t - 7d, and count a label only when its label time is before t', async () => {
    const HOUR = 3_600_000;
    const DAY = 24 * HOUR;
    const base = randomStream(9, 1, LATENESS)[0]?.value as Transaction;
    const H0 = Date.UTC(2025, 5, 10); // midnight: s of the first query sits on day and hour edges
    const tx = (id: string, at: number): ReferenceEvent => ({
      kind: 'transaction',
      value: { ...base, event_id: id, customer_id: `c-${id}`, terminal_id: 'edges', event_time: at },
    });
    const fraud = (id: string, transactionTime: number, labelTime: number): ReferenceEvent => ({
      kind: 'label',
      value: {
        transaction_id: id,
        customer_id: `c-${id}`,
        terminal_id: 'edges',
        is_fraud: true,
        label_time: labelTime,
        transaction_time: transactionTime,
      },
    });
    const at = {
      before30: H0 - 7 * DAY - 1,
      start7d: H0 - 7 * DAY,
      before1d: H0 - DAY - 1,
      start1d: H0 - DAY,
      last: H0 - 1,
      atS: H0,
      after: H0 + 30 * 60_000,
    };
    const q0 = H0 + 7 * DAY;
    const q = [q0, q0 + 1, q0 + 59 * 60_000];
    // in label-time order, else one would be late in its stream
    const labels = [
      fraud('start7d', at.start7d, H0), // known long before: folded into the buckets
      fraud('atS', at.atS, H0 + HOUR),
      fraud('start1d', at.start1d, q0 - 1),
      fraud('last', at.last, q0), // known at the first query's very millisecond: not there
      fraud('after', at.after, q0 + 2 * HOUR),
    ];
    const txs = [...Object.entries(at).map(([id, t]) => tx(id, t)), ...q.map((t, i) => tx(`q${i}`, t))];
    const timeOf = (e: ReferenceEvent) => (e.kind === 'label' ? e.value.label_time - 0.5 : e.value.event_time);
    // labels all ahead (a replay), and everything in time order (a label first at the same millisecond)
    const orders = [[...labels, ...txs], [...labels, ...txs].sort((a, b) => timeOf(a) - timeOf(b))];
    const rate = (name: string) => fraudFeatureSet.index(`terminal_fraud_rate_${name}`);
    for (const events of orders) {
      const expected = computeReference(fraudFeatureSet, events, PRUNE_EVERY_EVENT);
      const byId = new Map(expected.map((r) => [r.event_id, r.status === 'ok' ? r.values : []]));
      expect(['q0', 'q1', 'q2'].map((id) => ['1d', '7d', '30d'].map((w) => byId.get(id)?.[rate(w)]))).toEqual([
        [1 / 2, 2 / 4, 2 / 5],
        [3 / 3, 4 / 5, 4 / 6],
        [3 / 4, 4 / 6, 4 / 7],
      ]);
      const e = engine(`${uniqueName('edges')}:`, 1);
      const actual = await runEngine(e, events, 1, 1);
      expectSameVectors(
        expected.filter((r) => r.event_id !== ''),
        actual,
      );
    }
  });
});

describe('a fraud label repeated a month later', () => {
  it('counts its transaction once while the transaction is in a window', async () => {
    const HOUR = 3_600_000;
    const DAY = 24 * HOUR;
    const base = randomStream(9, 1, LATENESS)[0]?.value as Transaction;
    const X = Date.UTC(2025, 2, 3, 10);
    const tx = (id: string, at: number): ReferenceEvent => ({
      kind: 'transaction',
      value: { ...base, event_id: id, customer_id: `c-${id}`, terminal_id: 'repeat', event_time: at },
    });
    const fraud = (id: string, transactionTime: number, labelTime: number): ReferenceEvent => ({
      kind: 'label',
      value: {
        transaction_id: id,
        customer_id: `c-${id}`,
        terminal_id: 'repeat',
        is_fraud: true,
        label_time: labelTime,
        transaction_time: transactionTime,
      },
    });
    // z's label moves the terminal's labels a month past a's first one; then a's label comes again
    const events = [
      tx('a', X),
      fraud('a', X, X + HOUR),
      tx('b', X + 7 * DAY + HOUR),
      tx('z', X + 31 * DAY),
      fraud('z', X + 31 * DAY, X + 32 * DAY),
      fraud('a', X, X + 33 * DAY),
      tx('c', X + 33 * DAY + 1),
    ];
    const expected = computeReference(fraudFeatureSet, events, PRUNE_EVERY_EVENT);
    const rate30d = fraudFeatureSet.index('terminal_fraud_rate_30d');
    const last = expected.at(-1);
    expect(last?.status === 'ok' && last.values[rate30d]).toBe(1 / 2);
    const e = engine(`${uniqueName('repeat')}:`, 1);
    const actual = await runEngine(e, events, 1, 1);
    expectSameVectors(expected, actual);
  });
});

describe('fraud rates of other declarations', () => {
  // an hour window (read from raw times only) and a one-day delay, beside the fraud set's own
  const set = featureSet({
    name: 'rates_other',
    version: 1,
    features: [
      groupBy({ entity: 'customer', aggs: [agg('amount', 'count', ['1d'])] }),
      groupBy({
        entity: 'terminal',
        aggs: [agg('transaction', 'count', ['1d']), agg('fraud', 'rate', ['1h', '1d', '7d'], { delay: '1d' })],
      }),
    ],
  });
  for (const seed of [1, 2]) {
    it(`simulated traffic ${seed}, labels ahead and in time order: the reference's values`, async () => {
      // dense enough for hour windows: the simulator's, frauds found after about half a day
      const { txs, labels } = simInputs(seed, 100, 4);
      const time = (e: ReferenceEvent) => (e.kind === 'label' ? e.value.label_time - 0.5 : e.value.event_time);
      const events = [
        ...labels.map((value): ReferenceEvent => ({ kind: 'label', value })),
        ...txs.map((value): ReferenceEvent => ({ kind: 'transaction', value })),
      ].sort((a, b) => time(a) - time(b));
      const labelsFirst = [
        ...events.filter((e) => e.kind === 'label'),
        ...events.filter((e) => e.kind === 'transaction'),
      ];
      for (const [order, stream] of [
        ['arrival', events],
        ['ahead', labelsFirst],
      ] as const) {
        const expected = computeReference(set, stream, { allowedLatenessMs: LATENESS });
        // the windows have something to count
        const [hour, day] = [set.index('terminal_fraud_rate_1h'), set.index('terminal_fraud_rate_1d')];
        const ok = expected.flatMap((r) => (r.status === 'ok' ? [r.values] : []));
        expect(ok.filter((v) => !Number.isNaN(v[hour])).length, order).toBeGreaterThan(100);
        expect(
          ok.some((v) => (v[day] ?? 0) > 0),
          order,
        ).toBe(true);
        const e: Engine = { ...engine(`${uniqueName('other')}:`), set, plan: compilePlan(set, LATENESS) };
        expectSameVectors(expected, await runEngine(e, stream, seed * 17), set);
      }
    });
  }
});
