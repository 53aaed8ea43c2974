import type { ServiceProcess } from '@pipeline/e2e/src/processes/service-process.js';
import { WATERMARK_RANK } from '@pipeline/feature-sets';
import type { Decision } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, buildServices, createApiWorld, eventually, post, transaction } from './harness.js';

/**
 * The API in this process, the feature service, scorer and decision engine as processes (their
 * compiled build, as deployed) on the test's own topics. The tests run in order: first the whole
 * pipeline, then with the scorer and the engine stopped, then the engine again.
 */
/** A cold scorer's first scores on a busy machine may miss the default 50 ms: the engine waits longer here. */
const engineTuning = { DECISION_SCORE_BUDGET: '4s' };

describe('decisions through the pipeline', () => {
  let world: ApiWorld;
  let scorer: ServiceProcess;
  let decision: ServiceProcess;

  beforeAll(async () => {
    buildServices();
    world = await createApiWorld();
    await world.startService('features');
    [scorer, decision] = await Promise.all([
      world.startService('scorer'),
      world.startService('decision', engineTuning),
    ]);
    await eventually('the API reading its topics', () =>
      world.api.pipeline.unavailable() === null ? true : undefined,
    );
  }, 180_000);
  afterAll(() => world?.close(), 60_000);

  const onTopic = (eventId: string) =>
    eventually(`the decision for ${eventId} on the decisions topic`, () =>
      world.decisions.find((d) => d.event_id === eventId),
    );

  it("answers the decision the engine put on the decisions topic, with the model's score", async () => {
    const tx = transaction({ channel: 'ECOM', device_hash: 'dev-1', ip_hash: 'ip-1' });
    // A first event may wait on the services' first fetches: the longest deadline allowed.
    const response = await post(world.url, tx, { 'decision-deadline-ms': '5000' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ source: 'pipeline', deadline_exceeded: false, idempotent_replay: false });
    const answered = response.body.decision as Decision;
    expect(answered).toMatchObject({ event_id: tx.event_id, customer_id: tx.customer_id, path: 'MODEL_AND_RULES' });
    expect(answered.score).toEqual(expect.any(Number));
    expect(answered).toEqual(await onTopic(tx.event_id));
    expect(world.transactions.filter((id) => id === tx.event_id)).toHaveLength(1);
  });

  it('answers a repeated event id with the same decision, producing nothing again; another transaction under it gets 422', async () => {
    const tx = transaction({ amount_minor: 99_00 });
    const first = await post(world.url, tx, { 'decision-deadline-ms': '5000' });
    const again = await post(world.url, tx, { 'decision-deadline-ms': '10' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.decision).toEqual(first.body.decision);
    expect(again.body).toMatchObject({ source: first.body.source, idempotent_replay: true });
    const conflict = await post(world.url, { ...tx, amount_minor: 1 });
    expect(conflict).toMatchObject({ status: 422, body: { error: expect.stringContaining('already used') } });
    await onTopic(tx.event_id);
    expect(world.transactions.filter((id) => id === tx.event_id)).toHaveLength(1);
    expect(world.decisions.filter((d) => d.event_id === tx.event_id)).toHaveLength(1);
  });

  it('past the deadline (scorer and engine stopped) answers the rules-only decision, marked so, and the engine later emits that same decision', async () => {
    await Promise.all([scorer.stop(), decision.stop()]);
    // Large and online: the rule file's large_online_fallback reviews it on the rules-only path.
    const tx = transaction({ channel: 'ECOM', amount_minor: 60_000, device_hash: 'dev-2', ip_hash: 'ip-2' });
    const response = await post(world.url, tx, { 'decision-deadline-ms': '1500' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      source: 'rules_only_fallback',
      deadline_exceeded: true,
      features: 'as_of_event',
      idempotent_replay: false,
    });
    const answered = response.body.decision as Decision;
    expect(answered).toMatchObject({
      event_id: tx.event_id,
      path: 'RULES_ONLY',
      score: null,
      action: 'REVIEW',
      reason_codes: expect.arrayContaining(['RULE:large_online_fallback', 'FALLBACK:RULES_ONLY']),
    });
    expect(world.decisions.find((d) => d.event_id === tx.event_id)).toBeUndefined();

    // The engine resumes its group where it stopped, reads the event, and finds the API's claim.
    decision = await world.startService('decision', engineTuning);
    expect(await onTopic(tx.event_id)).toEqual(answered);
    expect(world.decisions.filter((d) => d.event_id === tx.event_id)).toHaveLength(1);
  });

  it('an answered event the feature service dead-letters as late gets its answered decision on the topic, emitted by the API', async () => {
    const now = Date.now();
    // Move the partition's watermark (the WATERMARK_RANK-th latest distinct time) to now; an hour
    // earlier is then past the allowed lateness.
    const recent = Array.from({ length: WATERMARK_RANK }, (_, i) => transaction({ event_time: now + i }));
    const answers = await Promise.all(recent.map((t) => post(world.url, t, { 'decision-deadline-ms': '5000' })));
    expect(answers.map((a) => a.status)).toEqual(recent.map(() => 200));
    const late = transaction({ event_time: now - 3_600_000, channel: 'ECOM', amount_minor: 60_000 });
    const response = await post(world.url, late, { 'decision-deadline-ms': '1500' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      source: 'rules_only_fallback',
      deadline_exceeded: true,
      features: 'missing',
    });
    const answered = response.body.decision as Decision;
    expect(answered).toMatchObject({ event_id: late.event_id, path: 'RULES_ONLY', action: 'REVIEW' });

    const letter = await eventually(`the dead letter of ${late.event_id}`, () =>
      world.deadLetters.find(
        (l) => l.topic === world.ns.topics.transactions && l.original_key?.toString() === late.customer_id,
      ),
    );
    expect(letter.error).toMatch(/late event/);
    expect(await onTopic(late.event_id)).toEqual(answered);
    // The engine never read it: the API's emit is the only one.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(world.decisions.filter((d) => d.event_id === late.event_id)).toHaveLength(1);
  });
});
