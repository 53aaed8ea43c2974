import { fraudFeatureSet, NO_WATERMARK } from '@pipeline/feature-sets';
import { createTokenizer, parseKeyRing } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import type { Label, Transaction } from '@pipeline/topology';
import { afterAll, describe, expect, it } from 'vitest';
import { type Engine, processLabels, processTransactions } from '../src/engine.js';
import { terminalTokenKey } from '../src/keys.js';
import { compilePlan } from '../src/plan.js';
import { createRedis } from '../src/redis.js';
import { createTokenMap } from '../src/token-map.js';
import { deletePrefix } from './harness.js';

const LATENESS = 10 * 60_000;
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5);
/** The sink's ring during a rotation: k2 current, k1 the key older rows (and labels) were tokenized with. */
const RING = parseKeyRing(`k2:${'new-secret-'.repeat(4)},k1:${'old-secret-'.repeat(4)}`);
const SINK = createTokenizer(RING);
const OLD_SINK = createTokenizer(RING.slice(1));

const redis = createRedis(servers());
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  await redis.quit();
});

function engine(withRing: boolean): Engine {
  const plan = compilePlan(fraudFeatureSet, LATENESS);
  const prefix = `${uniqueName('tokens')}:`;
  prefixes.push(prefix);
  return {
    set: fraudFeatureSet,
    plan,
    prefix,
    rules: { maxAmountMinor: 100_000_000, maxFutureMs: DAY, allowedLatenessMs: LATENESS },
    ...(withRing ? { tokens: createTokenMap(SINK, plan.keyTtlMs) } : {}),
  };
}

const tx = (id: string, day: number, terminal = 'T-77'): Transaction => ({
  event_id: id,
  event_time: START + day * DAY,
  customer_id: `C-${id}`,
  terminal_id: terminal,
  amount_minor: 12_500,
  currency: 'EUR',
  channel: 'POS',
  country: 'PT',
  device_hash: null,
  ip_hash: null,
});

/**
 * Three transactions at the terminal on day 0, the label (as given) that the first was fraud, known
 * on day 1, and a transaction on day 9: its terminal fraud rates count the day-0 transactions a week
 * before it. The vector of the day-9 transaction is returned.
 */
async function run(e: Engine, label: ((t: Transaction) => Label) | undefined): Promise<number[]> {
  const day0 = [tx('a', 0), tx('b', 0.1), tx('c', 0.2), tx('other', 0.3, 'T-78')];
  const first = await processTransactions(redis, e, day0, NO_WATERMARK, Date.now());
  expect(first.outcomes.every((o) => o.ok)).toBe(true);
  if (label) {
    const labelled = await processLabels(redis, e, [label(day0[0] as Transaction)], NO_WATERMARK, Date.now());
    expect(labelled.outcomes.every((o) => o.ok)).toBe(true);
  }
  const later = await processTransactions(redis, e, [tx('z', 9)], first.watermark, Date.now());
  const [outcome] = later.outcomes;
  if (!outcome?.ok) throw new Error(`day-9 transaction refused: ${outcome?.error.message}`);
  return outcome.value.features.values;
}

const labelOf =
  (terminal: (raw: string) => string) =>
  (t: Transaction): Label => ({
    transaction_id: t.event_id,
    customer_id: t.customer_id,
    terminal_id: terminal(t.terminal_id),
    is_fraud: true,
    label_time: t.event_time + DAY,
    transaction_time: t.event_time,
  });

describe('a console label naming the terminal by its token', () => {
  it('moves the terminal fraud rates exactly as the label naming the raw id does, under either key of the ring', async () => {
    const unlabelled = await run(engine(true), undefined);
    const raw = await run(
      engine(true),
      labelOf((id) => id),
    );
    const token = await run(
      engine(true),
      labelOf((id) => SINK.token('terminal', id)),
    );
    // A row the sink wrote before the rotation carries the old key's token.
    const oldToken = await run(
      engine(true),
      labelOf((id) => OLD_SINK.token('terminal', id)),
    );
    expect(raw).not.toEqual(unlabelled);
    expect(token).toEqual(raw);
    expect(oldToken).toEqual(raw);
  });

  it('without the key ring, counts only for the token (as a replay of tokens keyed throughout does)', async () => {
    const unlabelled = await run(engine(false), undefined);
    const token = await run(
      engine(false),
      labelOf((id) => SINK.token('terminal', id)),
    );
    expect(token).toEqual(unlabelled);
  });

  it('keeps the map for as long as the terminal state lives, and never for a token seen as a terminal', async () => {
    const e = engine(true);
    await processTransactions(
      redis,
      e,
      [tx('a', 0), tx('r', 0.1, SINK.token('terminal', 'T-9'))],
      NO_WATERMARK,
      Date.now(),
    );
    const keys = SINK.tokensFor('terminal', 'T-77').map((t) => terminalTokenKey(e.prefix, t));
    expect(await Promise.all(keys.map((k) => redis.get(k)))).toEqual(['T-77', 'T-77']);
    const ttl = await redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(e.plan.keyTtlMs - 60_000);
    expect(ttl).toBeLessThanOrEqual(e.plan.keyTtlMs);
    const tokenOfToken = terminalTokenKey(e.prefix, SINK.token('terminal', 'T-9'));
    expect(await redis.exists(tokenOfToken)).toBe(0);
  });
});
