import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { Decision, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { type DecideRequestDeps, decideRequest } from './decide-request.js';
import type { Answer, Begin, IdempotencyStore } from './idempotency.js';
import { Waiters } from './waiters.js';

const tx = (id = 'e1', amount = 100): Transaction => ({
  event_id: id,
  event_time: Date.UTC(2026, 0, 1),
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: amount,
  currency: 'EUR',
  channel: 'POS',
  country: 'PT',
  device_hash: null,
  ip_hash: null,
});

const pipelineDecision = (id: string, action: Decision['action'] = 'REVIEW'): Decision => ({
  event_id: id,
  customer_id: 'C1',
  event_time: Date.UTC(2026, 0, 1),
  action,
  reason_codes: ['SCORE_BAND:high'],
  score: 0.8,
  path: 'MODEL_AND_RULES',
  rule_set_version: 'v1',
  model_name: 'm',
  model_version: '1',
  feature_set_version: fraudFeatureSet.version,
  experiment_variant: 'control',
  decided_at: 1,
});

/** The idempotency store's semantics on Maps (the Redis one is exercised by the integration test). */
function memoryStore(): IdempotencyStore & { claims: Map<string, string>; answers: Map<string, Answer> } {
  const claims = new Map<string, string>();
  const answers = new Map<string, Answer>();
  return {
    claims,
    answers,
    async begin(t, hash): Promise<Begin> {
      const answer = answers.get(t.event_id);
      if (answer) return answer.request_hash === hash ? { kind: 'answered', answer } : { kind: 'conflict' };
      const claim = claims.get(t.event_id);
      if (claim === undefined) {
        claims.set(t.event_id, hash);
        return { kind: 'owner' };
      }
      return claim === hash ? { kind: 'in_flight' } : { kind: 'conflict' };
    },
    async settle(id, answer) {
      const previous = answers.get(id);
      if (previous) return previous;
      answers.set(id, answer);
      return answer;
    },
    async release(id) {
      claims.delete(id);
    },
    async answered(id) {
      return answers.get(id) ?? null;
    },
  };
}

/** A world with the engine's marker as a Map (claim: SET NX GET semantics) and a scripted pipeline. */
function world(options: { onProduce?: (t: Transaction, w: Waiters) => void; produceFails?: boolean } = {}) {
  const waiters = new Waiters();
  const store = memoryStore();
  const marker = new Map<string, { decision: Decision; emitted: boolean }>();
  const produced: Transaction[] = [];
  const deps: DecideRequestDeps = {
    store,
    waiters,
    unavailable: () => null,
    async produce(t) {
      if (options.produceFails) throw new Error('broker down');
      produced.push(t);
      options.onProduce?.(t, waiters);
    },
    async claim(decision) {
      const held = marker.get(decision.event_id);
      if (held) return held.emitted ? null : held.decision;
      marker.set(decision.event_id, { decision, emitted: false });
      return decision;
    },
    fallback: (t) => ({
      decision: { ...pipelineDecision(t.event_id, 'APPROVE'), path: 'RULES_ONLY', score: null, reason_codes: [] },
      features: 'missing',
    }),
    produceTimeoutMs: 1_000,
    emittedGraceMs: 20,
    now: () => performance.now(),
  };
  return { deps, store, marker, produced, waiters };
}

const ask = (deps: DecideRequestDeps, t: Transaction, deadline = 30) =>
  decideRequest(deps, t, deadline, performance.now());

describe('decideRequest', () => {
  it("answers the pipeline's decision for the event when it comes before the deadline", async () => {
    const w = world({
      onProduce: (t, waiters) => setImmediate(() => waiters.deliverDecision(pipelineDecision(t.event_id))),
    });
    const outcome = await ask(w.deps, tx(), 5_000);
    expect(outcome).toMatchObject({ status: 200, replay: false });
    expect(outcome.status === 200 && outcome.answer).toMatchObject({
      decision: pipelineDecision('e1'),
      source: 'pipeline',
      deadline_exceeded: false,
    });
    expect(w.produced).toEqual([tx()]);
  });

  it('past the deadline answers the rules-only decision and claims it, so the engine emits the same one', async () => {
    const w = world();
    const outcome = await ask(w.deps, tx());
    expect(outcome.status === 200 && outcome.answer).toMatchObject({
      source: 'rules_only_fallback',
      deadline_exceeded: true,
      features: 'missing',
      decision: { path: 'RULES_ONLY', action: 'APPROVE' },
    });
    // What the engine's own claim would now find, and emit unchanged.
    expect(outcome.status === 200 && w.marker.get('e1')?.decision).toEqual(
      outcome.status === 200 && outcome.answer.decision,
    );
  });

  it("past the deadline answers the engine's decision when the engine claimed first", async () => {
    const w = world();
    w.marker.set('e1', { decision: pipelineDecision('e1', 'DECLINE'), emitted: false });
    const outcome = await ask(w.deps, tx());
    expect(outcome.status === 200 && outcome.answer).toMatchObject({
      decision: { action: 'DECLINE' },
      source: 'pipeline',
      deadline_exceeded: true,
    });
  });

  it('when the engine emitted already, answers its decision read from the topic, or 503 if it does not come', async () => {
    const w = world();
    w.marker.set('e1', { decision: pipelineDecision('e1', 'STEP_UP'), emitted: true });
    const late = ask(w.deps, tx());
    setTimeout(() => w.waiters.deliverDecision(pipelineDecision('e1', 'STEP_UP')), 35);
    expect(await late).toMatchObject({ status: 200, answer: { decision: { action: 'STEP_UP' }, source: 'pipeline' } });

    w.marker.set('e2', { decision: pipelineDecision('e2'), emitted: true });
    expect(await ask(w.deps, tx('e2'))).toMatchObject({ status: 503, error: /retry later with the same event_id/ });
  });

  it('a repeat gets the stored answer without producing again; another transaction under the id gets 422', async () => {
    const w = world();
    const first = await ask(w.deps, tx());
    const again = await ask(w.deps, tx());
    expect(again).toMatchObject({ status: 200, replay: true });
    expect(again.status === 200 && again.answer).toEqual(first.status === 200 && first.answer);
    expect(w.produced).toHaveLength(1);
    expect(await ask(w.deps, tx('e1', 999))).toMatchObject({ status: 422, error: /already used/ });
  });

  it('a repeat while the first is in flight waits for the same decision and does not produce', async () => {
    const w = world();
    const first = ask(w.deps, tx(), 5_000);
    const second = ask(w.deps, tx(), 5_000);
    await new Promise((r) => setTimeout(r, 5));
    w.waiters.deliverDecision(pipelineDecision('e1', 'DECLINE'));
    const [a, b] = await Promise.all([first, second]);
    expect(a.status === 200 && a.answer.decision).toEqual(b.status === 200 && b.answer.decision);
    expect(a.status === 200 && a.answer.decision.action).toBe('DECLINE');
    expect(w.produced).toHaveLength(1);
  });

  it('gives 503 with the reason, producing nothing, when the pipeline is down', async () => {
    const w = world();
    w.deps.unavailable = () => 'Kafka not connected: ECONNREFUSED';
    expect(await ask(w.deps, tx())).toEqual({
      status: 503,
      error: 'pipeline unavailable: Kafka not connected: ECONNREFUSED',
    });
    expect(w.produced).toHaveLength(0);
    expect(w.store.claims.size).toBe(0);
  });

  it('gives 503 and frees the event id when Kafka refuses the transaction, so a retry produces it', async () => {
    const failing = world({ produceFails: true });
    expect(await ask(failing.deps, tx())).toMatchObject({
      status: 503,
      error: /did not take the transaction: broker down/,
    });
    expect(failing.store.claims.size).toBe(0);
    expect(failing.store.answers.size).toBe(0);
  });
});
