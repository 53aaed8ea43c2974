import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
import type { Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import type { LoggedVector } from '../vectors/logged-vectors.js';
import { checkFeatures } from './features-check.js';

const HOUR = 3_600_000;
const start = Date.UTC(2026, 0, 5);

function tx(i: number, customer: string, terminal: string): ReferenceEvent {
  const value: Transaction = {
    event_id: `e${i}`,
    event_time: start + i * HOUR,
    customer_id: customer,
    terminal_id: terminal,
    amount_minor: 1_000 * (i + 1),
    currency: 'EUR',
    channel: 'ECOM',
    country: 'PT',
    device_hash: null,
    ip_hash: null,
  };
  return { kind: 'transaction', value };
}

const events = [tx(0, 'C1', 'T1'), tx(1, 'C2', 'T1'), tx(2, 'C1', 'T1'), tx(3, 'C2', 'T1'), tx(4, 'C1', 'T2')];
const reference = new Map(
  computeReference(fraudFeatureSet, events, { allowedLatenessMs: Number.MAX_SAFE_INTEGER }).map((r) => [
    r.event_id,
    r.status === 'ok' ? r.values : [],
  ]),
);
const windowOf = new Map([
  ['e0', { window: 0, atMs: 0 }],
  ['e1', { window: 0, atMs: 100 }],
  ['e2', { window: 0, atMs: 200 }],
  ['e3', { window: 1, atMs: 300 }],
  ['e4', { window: 1, atMs: 400 }],
]);
const row = (id: string, values = reference.get(id) ?? []): LoggedVector => ({
  eventId: id,
  featureSet: fraudFeatureSet.name,
  version: fraudFeatureSet.version,
  values: Float64Array.from(values),
});
const logOf = (rows: LoggedVector[]) =>
  async function* (from: number, to: number) {
    for (const r of rows) {
      const t = start + Number(r.eventId.slice(1)) * HOUR;
      if (t >= from && t < to) yield r;
    }
  };

describe('checkFeatures', () => {
  it('counts every window exact when the log is what a run without faults serves', async () => {
    const { windows, tally } = await checkFeatures({
      set: fraudFeatureSet,
      events,
      windowOf,
      readLogged: logOf(['e0', 'e1', 'e2', 'e3', 'e4'].map((id) => row(id))),
      refused: new Set(),
    });
    expect(Object.fromEntries(windows)).toEqual({
      0: { vectors: 3, exact: 3, missing: 0, firstDifferingMs: null },
      1: { vectors: 2, exact: 2, missing: 0, firstDifferingMs: null },
    });
    expect(tally.result().exactShare).toBe(1);
  });

  it('puts a differing vector and a missing one in the window of their transaction', async () => {
    const lostCount = [...(reference.get('e3') ?? [])];
    lostCount[0] = (lostCount[0] ?? 0) + 1;
    const { windows, tally } = await checkFeatures({
      set: fraudFeatureSet,
      events,
      windowOf,
      readLogged: logOf([row('e0'), row('e1'), row('e2'), row('e3', lostCount)]),
      refused: new Set(),
    });
    expect(Object.fromEntries(windows)).toEqual({
      0: { vectors: 3, exact: 3, missing: 0, firstDifferingMs: null },
      1: { vectors: 1, exact: 0, missing: 1, firstDifferingMs: 300 },
    });
    expect(tally.result().missingExamples).toEqual(['e4']);
  });

  it('expects no vector of a dead-lettered transaction', async () => {
    const { windows } = await checkFeatures({
      set: fraudFeatureSet,
      events,
      windowOf,
      readLogged: logOf(['e0', 'e1', 'e2', 'e3'].map((id) => row(id))),
      refused: new Set(['e4']),
    });
    expect(windows.get(1)).toEqual({ vectors: 1, exact: 1, missing: 0, firstDifferingMs: null });
  });
});
