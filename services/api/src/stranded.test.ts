import type { Decision } from '@pipeline/topology';
import { describe, expect, it, vi } from 'vitest';
import { createStranded, type StrandedDeps } from './stranded.js';

const decision = (eventId: string): Decision => ({ event_id: eventId }) as Decision;

function setup(emit: StrandedDeps['emit'] = async () => {}) {
  let clock = 0;
  const emitted: string[][] = [];
  const errors: string[][] = [];
  const stranded = createStranded({
    emit,
    onEmitted: (ds) => emitted.push(ds.map((d) => d.event_id)),
    onError: (_, ds) => errors.push(ds.map((d) => d.event_id)),
    holdMs: 1_000,
    maxHeld: 3,
    retryMs: 50,
    now: () => clock,
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    stranded,
    emitted,
    errors,
    settle,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('stranded fallback decisions', () => {
  it('emits a claimed decision once its dead letter is read, and once only', async () => {
    const { stranded, emitted, settle } = setup();
    stranded.claimed(decision('e1'));
    await settle();
    expect(emitted).toEqual([]);
    stranded.deadLettered('e1');
    stranded.deadLettered('e1');
    await settle();
    expect(emitted).toEqual([['e1']]);
    expect(stranded.size).toBe(0);
  });

  it('emits at the claim when the dead letter came first', async () => {
    const { stranded, emitted, settle } = setup();
    stranded.deadLettered('e1');
    stranded.deadLettered('e2');
    stranded.claimed(decision('e1'));
    stranded.claimed(decision('e3'));
    await settle();
    expect(emitted).toEqual([['e1']]);
    expect(stranded.size).toBe(1);
  });

  it('emits nothing for a decision the engine put on the topic', async () => {
    const { stranded, emitted, settle } = setup();
    stranded.claimed(decision('e1'));
    stranded.decided('e1');
    stranded.deadLettered('e1');
    await settle();
    expect(emitted).toEqual([]);
  });

  it('emits those stranded in one turn together', async () => {
    const { stranded, emitted, settle } = setup();
    for (const id of ['e1', 'e2', 'e3']) stranded.claimed(decision(id));
    for (const id of ['e3', 'e1', 'e2']) stranded.deadLettered(id);
    await settle();
    expect(emitted).toEqual([['e3', 'e1', 'e2']]);
  });

  it('forgets claims and dead letters older than the hold', async () => {
    const { stranded, emitted, settle, advance } = setup();
    stranded.claimed(decision('e1'));
    stranded.deadLettered('e2');
    advance(1_001);
    stranded.deadLettered('e1');
    stranded.claimed(decision('e2'));
    await settle();
    expect(emitted).toEqual([]);
    // Pruned on the next call: only e2's fresh claim is held.
    expect(stranded.size).toBe(1);
  });

  it('remembers the newest claims and dead letters only, past its bound', async () => {
    const { stranded, emitted, settle } = setup();
    for (const id of ['d1', 'd2', 'd3', 'd4']) stranded.deadLettered(id);
    for (const id of ['c1', 'c2', 'c3', 'c4']) stranded.claimed(decision(id));
    expect(stranded.size).toBe(3);
    stranded.claimed(decision('d1'));
    stranded.claimed(decision('d4'));
    stranded.deadLettered('c1');
    stranded.deadLettered('c4');
    await settle();
    expect(emitted).toEqual([['d4', 'c4']]);
  });

  it('retries a failed emit until it succeeds', async () => {
    let fail = 2;
    const { stranded, emitted, errors } = setup(async () => {
      if (fail-- > 0) throw new Error('Kafka down');
    });
    stranded.claimed(decision('e1'));
    stranded.deadLettered('e1');
    await vi.waitFor(() => expect(emitted).toEqual([['e1']]), { timeout: 2_000, interval: 10 });
    expect(errors).toEqual([['e1'], ['e1']]);
    stranded.close();
  });

  it('gives up on a failed emit past the hold', async () => {
    const { stranded, emitted, errors, settle, advance } = setup(async () => {
      throw new Error('Kafka down');
    });
    stranded.claimed(decision('e1'));
    advance(900);
    stranded.deadLettered('e1');
    await settle();
    expect(errors).toHaveLength(1);
    advance(200);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(errors).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(errors).toHaveLength(2);
    expect(emitted).toEqual([]);
    stranded.close();
  });
});
