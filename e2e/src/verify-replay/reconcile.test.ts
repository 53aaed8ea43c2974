import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { createTally } from '../vectors/compare.js';
import { referenceKeepMs } from '../vectors/feature-groups.js';
import type { LoggedVector } from '../vectors/logged-vectors.js';
import { reconcile } from './reconcile.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const start = Date.UTC(2026, 0, 5);

function tx(i: number, time: number, customer: string, terminal: string, amount: number): ReferenceEvent {
  const value: Transaction = {
    event_id: `e${i}`,
    event_time: time,
    customer_id: customer,
    terminal_id: terminal,
    amount_minor: amount,
    currency: 'EUR',
    channel: 'ECOM',
    country: 'PT',
    device_hash: null,
    ip_hash: null,
  };
  return { kind: 'transaction', value };
}

function fraud(id: string, terminal: string, time: number): ReferenceEvent {
  const value: Label = {
    transaction_id: id,
    customer_id: 'C1',
    terminal_id: terminal,
    is_fraud: true,
    label_time: time,
    transaction_time: time,
  };
  return { kind: 'label', value };
}

/** Three days, two customers sharing a terminal, a fraud label between their transactions. */
const events: ReferenceEvent[] = [
  tx(0, start + 9 * HOUR, 'C1', 'T1', 1_000),
  tx(1, start + 10 * HOUR, 'C2', 'T1', 2_500),
  tx(2, start + DAY + 8 * HOUR, 'C1', 'T1', 700),
  fraud('e0', 'T1', start + DAY + 9 * HOUR),
  tx(3, start + DAY + 11 * HOUR, 'C2', 'T1', 4_000),
  tx(4, start + 2 * DAY + HOUR, 'C1', 'T2', 90_000),
];

/** The definition's vectors, over the whole list at once. */
const expected = new Map(
  computeReference(fraudFeatureSet, events, { allowedLatenessMs: Number.MAX_SAFE_INTEGER }).map((r) => [
    r.event_id,
    r.status === 'ok' ? r.values : [],
  ]),
);

function logFrom(rows: LoggedVector[]) {
  const reads: [number, number][] = [];
  const time = new Map(
    events.flatMap((e) => (e.kind === 'transaction' ? [[e.value.event_id, e.value.event_time]] : [])),
  );
  return {
    reads,
    read: async function* (from: number, to: number) {
      reads.push([from, to]);
      for (const row of rows) {
        const t = time.get(row.eventId) ?? start + DAY; // unknown ids are logged on the second day
        if (t >= from && t < to) yield row;
      }
    },
  };
}

const row = (id: string, values = expected.get(id) ?? []): LoggedVector => ({
  eventId: id,
  featureSet: fraudFeatureSet.name,
  version: fraudFeatureSet.version,
  values: Float64Array.from(values),
});

describe('reconcile', () => {
  it('finds every logged vector equal to the definition when the log is the definition', async () => {
    const tally = createTally(fraudFeatureSet, { examples: 5 });
    const log = logFrom(['e0', 'e1', 'e2', 'e3', 'e4'].map((id) => row(id)));
    const days: number[] = [];
    const result = await reconcile({
      events,
      set: fraudFeatureSet,
      keepMs: referenceKeepMs(fraudFeatureSet),
      readLogged: log.read,
      tally,
      onDay: (p) => days.push(p.day),
    });
    expect(result).toEqual({
      transactions: 5,
      labels: 1,
      refused: 0,
      days: [
        { day: start, vectors: 2, exactVectors: 2 },
        { day: start + DAY, vectors: 2, exactVectors: 2 },
        { day: start + 2 * DAY, vectors: 1, exactVectors: 1 },
      ],
    });
    expect(tally.result()).toMatchObject({ vectors: 5, exactVectors: 5, missing: 0, unexpected: 0 });
    expect(log.reads).toEqual([
      [start, start + DAY],
      [start + DAY, start + 2 * DAY],
      [start + 2 * DAY, start + 3 * DAY],
    ]);
    expect(days).toEqual([start, start + DAY, start + 2 * DAY]);
    // e3's terminal count takes in the other customer's transactions on T1.
    expect(expected.get('e3')?.[fraudFeatureSet.index('terminal_transaction_count_1d')]).toBe(1);
    expect(expected.get('e3')?.[fraudFeatureSet.index('terminal_transaction_count_7d')]).toBe(3);
  });

  it('reports a logged terminal count that missed the label-time order as not exact in its group only', async () => {
    const wrong = [...(expected.get('e3') ?? [])];
    const i = fraudFeatureSet.index('terminal_transaction_count_7d');
    wrong[i] = 2;
    const tally = createTally(fraudFeatureSet, { examples: 5 });
    const { days } = await reconcile({
      events,
      set: fraudFeatureSet,
      keepMs: referenceKeepMs(fraudFeatureSet),
      readLogged: logFrom([row('e0'), row('e1'), row('e2'), row('e3', wrong), row('e4')]).read,
      tally,
    });
    expect(days.map((d) => d.exactVectors)).toEqual([2, 1, 1]);
    const r = tally.result();
    expect(r).toMatchObject({ vectors: 5, exactVectors: 4 });
    expect(r.groups.terminal_counts?.exactVectors).toBe(4);
    expect(r.groups.terminal_fraud_rates?.exactVectors).toBe(5);
    expect(r.groups.customer?.exactVectors).toBe(5);
    expect(r.worst).toEqual([{ eventId: 'e3', feature: 'terminal_transaction_count_7d', logged: 2, reference: 3 }]);
  });

  it('tells missing, refused, unexpected and other-set rows apart', async () => {
    const tally = createTally(fraudFeatureSet, { examples: 5 });
    const other = { ...row('e2'), version: fraudFeatureSet.version + 1 };
    const result = await reconcile({
      events,
      set: fraudFeatureSet,
      keepMs: referenceKeepMs(fraudFeatureSet),
      readLogged: logFrom([row('e0'), other, row('e4'), row('zz', [1])]).read,
      tally,
      refused: new Set(['e3']),
    });
    expect(result.refused).toBe(1);
    expect(tally.result()).toMatchObject({
      vectors: 3,
      exactVectors: 2,
      otherSet: 1,
      missing: 1,
      missingExamples: ['e1'],
      unexpected: 1,
      unexpectedExamples: ['zz'],
    });
  });

  it('refuses events whose days go backwards', async () => {
    const tally = createTally(fraudFeatureSet, { examples: 1 });
    const backwards = [events[2], events[0]] as ReferenceEvent[];
    await expect(
      reconcile({
        events: backwards,
        set: fraudFeatureSet,
        keepMs: referenceKeepMs(fraudFeatureSet),
        readLogged: logFrom([]).read,
        tally,
      }),
    ).rejects.toThrow(/out of event-time order/);
  });
});
