import {
  computeReference,
  fraudFeatureSet,
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

const LATENESS = 10 * 60_000;
const redis = createRedis(servers().REDIS_URL);
afterAll(() => redis.quit());

function engine(prefix: string): Engine {
  return {
    set: fraudFeatureSet,
    plan: compilePlan(fraudFeatureSet, LATENESS),
    prefix,
    rules: { maxAmountMinor: 100_000_000, maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
  };
}

/** Feeds the stream in arrival order, in batches of random size of consecutive same-kind events. */
async function runEngine(e: Engine, events: ReferenceEvent[], seed: number) {
  const r = rng(seed);
  const results: { event_id: string; status: string; values?: number[] }[] = [];
  let txWatermark = NO_WATERMARK;
  let labelWatermark = NO_WATERMARK;
  let i = 0;
  while (i < events.length) {
    const kind = events[i]?.kind;
    const size = 1 + Math.floor(r() * 20);
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

function expectSameVectors(expected: ReturnType<typeof computeReference>, actual: EngineResult[]): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const want = expected[k];
    const got = actual[k];
    if (want?.status === 'ok' && got?.status === 'ok') {
      const diff = fraudFeatureSet.names.filter((_, j) => !Object.is(want.values[j], got.values?.[j]));
      expect(
        diff.map((name) => [name, want.values[fraudFeatureSet.index(name)], got.values?.[fraudFeatureSet.index(name)]]),
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
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`random stream ${seed}: gaps, out-of-order within and beyond lateness, duplicates, late labels`, async () => {
      const events = randomStream(seed, 250, LATENESS);
      const expected = computeReference(fraudFeatureSet, events, { allowedLatenessMs: LATENESS });
      const actual = await runEngine(engine(`${uniqueName('prop')}:`), events, seed * 7);
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
