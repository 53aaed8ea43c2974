import type { Decision, EnrichedTransaction } from '@pipeline/topology';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Waiters } from './waiters.js';

const decision = (eventId: string, action: Decision['action'] = 'APPROVE') =>
  ({ event_id: eventId, action }) as Decision;
const enriched = (eventId: string) =>
  ({ transaction: { event_id: eventId }, features: { values: [1] } }) as EnrichedTransaction;

describe('Waiters', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands a request the decision with its event id, not another', async () => {
    const waiters = new Waiters();
    const a = waiters.wait('a', 100);
    const b = waiters.wait('b', 100);
    expect(waiters.deliverDecision(decision('b', 'DECLINE'))).toBe(true);
    expect(await b).toEqual({ decision: decision('b', 'DECLINE'), enriched: null });
    waiters.deliverDecision(decision('a'));
    expect((await a).decision?.event_id).toBe('a');
    expect(waiters.size).toBe(0);
  });

  it('ends the wait at the deadline with no decision and the enriched event if it came', async () => {
    const waiters = new Waiters();
    const a = waiters.wait('a', 100);
    waiters.deliverEnriched(enriched('a'));
    waiters.deliverEnriched(enriched('other'));
    vi.advanceTimersByTime(99);
    let settled = false;
    void a.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await a).toEqual({ decision: null, enriched: enriched('a') });
    expect(waiters.size).toBe(0);
  });

  it('a decision after the deadline is kept for a wait that starts next; the expired wait stays expired', async () => {
    const waiters = new Waiters();
    const a = waiters.wait('a', 10);
    vi.advanceTimersByTime(10);
    expect((await a).decision).toBeNull();
    expect(waiters.deliverDecision(decision('a', 'REVIEW'))).toBe(false);
    expect((await waiters.wait('a', 10)).decision?.action).toBe('REVIEW');
  });

  it('gives every request waiting on one event id the same decision', async () => {
    const waiters = new Waiters();
    const first = waiters.wait('a', 100);
    const second = waiters.wait('a', 50);
    waiters.deliverDecision(decision('a', 'STEP_UP'));
    expect((await first).decision).toEqual((await second).decision);
  });

  it('keeps only the latest unclaimed decisions', async () => {
    const waiters = new Waiters(2);
    for (const id of ['x', 'y', 'z']) waiters.deliverDecision(decision(id));
    const x = waiters.wait('x', 5);
    vi.advanceTimersByTime(5);
    expect((await x).decision).toBeNull();
    expect((await waiters.wait('z', 5)).decision?.event_id).toBe('z');
  });
});
