import { fraudFeatureSet } from '@pipeline/feature-sets';
import { sql } from '@pipeline/shared';
import { allRefused, bearer, refusalsOf } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMix, Provenance, QueueItem } from '../src/decisions/shape.js';
import type { Experiments } from '../src/experiments/shape.js';
import type { LiveSnapshot } from '../src/live/snapshot.js';
import type { RegistryView } from '../src/models/registry.js';
import type { ModelsLive } from '../src/models/shape.js';
import type { Monitoring } from '../src/monitoring/shape.js';
import type { RuleHits } from '../src/rules/hits.js';
import type { RuleSetView } from '../src/rules/rule-file.js';
import {
  ANA,
  type ConsoleFixture,
  DAY,
  DRIFTING_FEATURE,
  EXPERIMENT_LOOKS,
  eventually,
  MONITOR_ENDS,
  OPS,
  startConsoleFixture,
} from './fixture.js';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture();
});
afterAll(async () => {
  await f?.stop();
});

async function get<T>(path: string, token = f.principals.only.read): Promise<{ status: number; body: T }> {
  const response = await fetch(`${f.url}${path}`, { headers: bearer(token) });
  return { status: response.status, body: (await response.json()) as T };
}

/** Posts as ana.lima (read and operate) unless another token is given. */
async function post(path: string, body: unknown, type = 'application/json', token = f.principals.named[ANA] as string) {
  const response = await fetch(`${f.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': type, ...bearer(token) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } & Record<string, unknown> };
}

/** The audit_log rows of one action, newest last. */
async function auditRows(action: string) {
  const result = await f.clickhouse.query({
    query: sql`SELECT actor, action, subject, reason, service, details FROM audit_log WHERE action = ${action} ORDER BY at_ms`,
    format: 'JSONEachRow',
  });
  return result.json<{
    actor: string;
    action: string;
    subject: string;
    reason: string;
    service: string;
    details: string;
  }>();
}

describe('the live pipeline API on real Kafka and ClickHouse', () => {
  it('measures throughput from topic ends and latency from the hops, as traffic flows', async () => {
    const snapshot = await eventually('events in, decisions out and hop latencies', async () => {
      await f.traffic(20);
      const { body } = await get<LiveSnapshot>('/api/live');
      const all = body.latency.hops.every((h) => h.count > 0);
      return (body.throughput.eventsIn ?? 0) > 0 && (body.throughput.decisionsOut ?? 0) > 0 && all ? body : undefined;
    });
    expect(snapshot.latency.error).toBeNull();
    const byHop = Object.fromEntries(snapshot.latency.hops.map((h) => [h.hop, h]));
    // Stamped 15, 30 and 60 ms before now: each hop's latency is at least that (plus the send).
    expect(byHop.features?.p50).toBeGreaterThanOrEqual(14);
    expect(byHop.scorer?.p50).toBeGreaterThanOrEqual(29);
    expect(byHop.decision?.p50).toBeGreaterThanOrEqual(58);
    expect(byHop.decision?.p50).toBeLessThan(10_000);
    expect(snapshot.throughput.series.length).toBeGreaterThan(0);
  });

  it('shows lag per group and partition, each service’s health and counters, and dead letters by reason', async () => {
    const { body } = await eventually('a sample with dead letters and consumed rates', async () => {
      await f.traffic(5);
      const r = await get<LiveSnapshot>('/api/live');
      return r.body.deadLetters.rows.length > 0 && r.body.services[0]?.consumedPerSecond ? r : undefined;
    });
    // both partitions, though the group committed on partition 0 only
    expect(body.lag.rows.map((r) => r.partition)).toEqual([0, 1]);
    expect(body.lag.rows.every((r) => r.group === f.lagGroup && r.topic === f.topics.transactions)).toBe(true);
    expect(body.lag.total).toBeGreaterThanOrEqual(6);
    expect(body.services.map((s) => [s.name, s.status])).toEqual([
      ['features', 'ready'],
      ['scorer', 'not ready'],
      ['decision', 'unreachable'],
      ['api', 'ready'],
    ]);
    expect(body.services[1]?.failing).toEqual(['consuming']);
    // the decision API's requests: nine in ten by the pipeline within 20 ms, the tenth by the fallback
    const api = body.services[3]?.requests;
    expect(api?.perSecond).toBeGreaterThan(0);
    expect((api?.bySource.rules_only_fallback ?? 0) / (api?.perSecond ?? 1)).toBeCloseTo(0.1);
    expect(api?.p50Ms).toBeLessThanOrEqual(20);
    expect(api?.p99Ms).toBeGreaterThan(20);
    expect(body.services[0]?.requests).toBeNull();
    expect(body.services[0]?.deadLettered).toBe(2);
    expect(body.deadLetters.rows).toEqual([
      { service: 'features', errorType: 'MalformedMessageError', count: 1, example: 'frame too short' },
    ]);
    expect(body.kafkaErrors).toEqual([]);
  });

  it('streams snapshots as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${f.url}/api/live/stream`, {
      signal: controller.signal,
      headers: bearer(f.principals.only.read),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while ((text.match(/event: live/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const first = JSON.parse(/data: (.*)\n/.exec(text)?.[1] ?? '{}') as LiveSnapshot;
    expect(first.windowMs).toBe(60_000);
  });
});

describe('the decisions API', () => {
  it('gives the mix by action, path and variant over the day ending with the newest decision', async () => {
    const { status, body } = await get<{ hours: number; mix: DecisionMix }>('/api/decisions/mix?hours=24');
    expect(status).toBe(200);
    const mix = body.mix;
    expect(mix.total).toBe(9);
    const sum = (series: Record<string, number[]>, name: string) => (series[name] ?? []).reduce((a, b) => a + b, 0);
    expect(mix.byAction.names).toEqual(['APPROVE', 'REVIEW', 'DECLINE']);
    expect(sum(mix.byAction.series, 'APPROVE')).toBe(5);
    expect(sum(mix.byAction.series, 'REVIEW')).toBe(3);
    expect(sum(mix.byPath.series, 'RULES_ONLY')).toBe(1);
    expect(sum(mix.byVariant.series, 'strict')).toBe(3);
    expect(mix.times.length).toBe(96);
    const newest = Math.max(...f.events.map((e) => e.eventTime));
    expect(mix.range.to).toBeGreaterThan(newest);
  });

  it('refuses a span it does not offer', async () => {
    const { status, body } = await get<{ error: string }>('/api/decisions/mix?hours=5');
    expect(status).toBe(400);
    expect(body.error).toContain('hours must be one of');
  });

  it('shows one event’s provenance: features as logged, score, rules fired, variant, model, latency', async () => {
    const event = f.events.find((e) => e.action === 'REVIEW') ?? f.events[0];
    const { status, body } = await get<Provenance>(`/api/decisions/event/${encodeURIComponent(event?.id ?? '')}`);
    expect(status).toBe(200);
    expect(body.decision).toMatchObject({
      action: 'REVIEW',
      model: 'fraud_gbdt@2',
      variant: event?.variant,
      rulesFired: ['large_online_fallback'],
    });
    expect(body.features?.named).toBe(true);
    expect(body.features?.values).toHaveLength(fraudFeatureSet.names.length);
    expect(body.features?.values[0]).toEqual({ name: fraudFeatureSet.names[0], value: 'NaN' });
    expect(body.scores[0]).toMatchObject({ model: 'fraud_gbdt@2', deciding: true, latencyMs: 4.5 });
    expect(body.latency).toEqual({ featuresToDecisionMs: 50, scoringMs: 4.5 });
    expect(body.transaction).toMatchObject({ amountMinor: 125_000, channel: 'ECOM', terminalId: event?.terminal });
  });

  it('answers an unknown event with 404 and a malformed id with 400, never a stack trace', async () => {
    const unknown = await get<{ error: string }>('/api/decisions/event/no-such-event');
    expect(unknown).toEqual({ status: 404, body: { error: 'no decision for event no-such-event' } });
    const bad = await get<{ error: string }>(`/api/decisions/event/${encodeURIComponent('a b{c}')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('invalid event id');
    expect(JSON.stringify(bad.body)).not.toMatch(/\.ts:\d|Error:/);
    const nothing = await get<{ error: string }>('/api/nothing-here');
    expect(nothing.status).toBe(404);
  });
});

describe('the rules API', () => {
  it('shows the rule file the decision engine applies and which rules fired how often', async () => {
    const { status, body } = await get<{
      ruleSet: RuleSetView;
      fileError: string | null;
      hits: { hits: RuleHits[] };
      hitsError: string | null;
    }>('/api/rules?hours=24');
    expect(status).toBe(200);
    expect(body.fileError).toBeNull();
    expect(body.hitsError).toBeNull();
    expect(body.ruleSet.rules.map((r) => r.id)).toContain('large_online_fallback');
    // the seeded decisions: nine under version test.1, the three reviews fired large_online_fallback
    expect(body.hits.hits).toEqual([{ version: 'test.1', decisions: 9, hits: { large_online_fallback: 3 } }]);
    expect((await get('/api/rules?hours=2')).status).toBe(400);
  });
});

describe('PII: the customer search and the audit of the start', () => {
  it('finds a customer by the raw id, through its tokens: the raw id is stored nowhere', async () => {
    const event = f.events.find((e) => e.id.endsWith('-r2'));
    if (!event) throw new Error('no r2');
    const r = await get<{ tokens: string[]; decisions: (QueueItem & { action: string })[] }>(
      `/api/decisions/customer/${encodeURIComponent(event.rawCustomer)}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.tokens).toEqual([event.customer]);
    expect(r.body.decisions.map((d) => d.eventId)).toEqual([event.id]);
    expect(r.body.decisions[0]).toMatchObject({
      action: 'REVIEW',
      customerId: event.customer,
      terminalId: event.terminal,
    });
    expect((await get<{ decisions: unknown[] }>('/api/decisions/customer/nobody')).body.decisions).toEqual([]);
  });

  it('refuses a customer id no transaction could carry with 400 and the reason', async () => {
    const r = await get<{ error: string }>(`/api/decisions/customer/${encodeURIComponent('C {1}')}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/invalid customer id/);
  });

  it('recorded its configuration at start: values and a hash, never the key ring', async () => {
    const [row] = await auditRows('config');
    const details = JSON.parse(row?.details ?? '{}') as { hash: string; values: Record<string, unknown> };
    expect(details.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(details.values.PII_TOKEN_KEYS).toMatch(/^t1\([0-9a-f]{8}\)$/);
    expect(row?.details).not.toContain('console-test-secret');
  });

  it('recorded the rule set the decision engine applies, once, with its version and hash', async () => {
    const rows = await auditRows('rules.change');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.subject).toMatch(/fraud\.yaml$/);
    expect(JSON.parse(rows[0]?.details ?? '{}')).toMatchObject({ version: '2025-01-01.1', previous_sha256: null });
  });
});

describe('the review queue API', () => {
  it('lists REVIEW decisions oldest first, with their amount', async () => {
    const { body } = await get<{ items: QueueItem[]; pending: number }>('/api/review?limit=10');
    expect(body.items.map((i) => i.eventId)).toEqual(
      ['r1', 'r2', 'r3'].map((n) => `${f.events[0]?.id.replace(/-r2$/, '')}-${n}`),
    );
    expect(body.pending).toBe(3);
    expect(body.items[0]).toMatchObject({ amountMinor: 125_000, currency: 'EUR', channel: 'ECOM' });
  });

  it('publishes a label with the labels contract, records who and when, and takes the event off the queue', async () => {
    const event = f.events.find((e) => e.id.endsWith('-r1'));
    if (!event) throw new Error('no r1');
    const before = Date.now();
    const r = await post(`/api/review/${event.id}`, { verdict: 'fraud' });
    expect(r.status).toBe(201);
    const labels = await eventually('the label on the labels topic', async () => {
      const l = await f.labels();
      return l.length > 0 ? l : undefined;
    });
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatchObject({
      transaction_id: event.id,
      customer_id: event.customer,
      terminal_id: event.terminal,
      is_fraud: true,
      transaction_time: event.eventTime * 1000,
    });
    expect(labels[0]?.label_time).toBeGreaterThanOrEqual(before);
    const stored = await f.clickhouse.query({
      query: sql`SELECT reviewer, is_fraud, reviewed_at_ms FROM console_reviews FINAL WHERE event_id = ${event.id}`,
      format: 'JSONEachRow',
    });
    const [row] = await stored.json<{ reviewer: string; is_fraud: number; reviewed_at_ms: string }>();
    expect(row?.reviewer).toBe(ANA);
    expect(row?.is_fraud).toBe(1);
    expect(Number(row?.reviewed_at_ms)).toBeGreaterThanOrEqual(before);
    const queue = await get<{ items: QueueItem[]; pending: number }>('/api/review');
    expect(queue.body.items.map((i) => i.eventId)).not.toContain(event.id);
    expect(queue.body.pending).toBe(2);
    const provenance = await get<Provenance>(`/api/decisions/event/${event.id}`);
    expect(provenance.body.review).toMatchObject({ isFraud: true, reviewer: ANA });
    const [audited] = await auditRows('review');
    expect(audited).toMatchObject({ actor: ANA, subject: event.id, reason: '' });
    expect(JSON.parse(audited?.details ?? '{}')).toMatchObject({ is_fraud: true, customer: event.customer });
  });

  it.each([
    [
      'a second review of the same event',
      '-r1',
      { verdict: 'genuine' },
      'application/json',
      409,
      'already reviewed by ana.lima',
    ],
    [
      'an event not under review',
      '-a0',
      { verdict: 'genuine' },
      'application/json',
      409,
      'decided APPROVE, not REVIEW',
    ],
    ['an unknown event', '-nope', { verdict: 'genuine' }, 'application/json', 404, 'no decision for event'],
    ['a bad verdict', '-r2', { verdict: 'perhaps' }, 'application/json', 400, 'verdict must be'],
    [
      'a reviewer named in the body',
      '-r2',
      { verdict: 'fraud', reviewer: 'Someone Else' },
      'application/json',
      400,
      'reviewer is not accepted: the review is recorded as ana.lima',
    ],
    ['a body that is not JSON', '-r2', 'verdict=fraud', 'application/json', 400, 'not JSON'],
    ['a form post', '-r2', 'verdict=fraud', 'application/x-www-form-urlencoded', 415, 'as JSON'],
  ])('refuses %s with a 4xx and its reason, publishing nothing', async (_, suffix, body, type, status, reason) => {
    const prefix = f.events[0]?.id.replace(/-r2$/, '');
    const r = await post(`/api/review/${prefix}${suffix}`, body, type);
    expect(r.status).toBe(status);
    expect(r.body.error).toContain(reason);
    expect(await f.labels()).toHaveLength(1);
  });

  it('refuses GET on a review and an oversized body', async () => {
    const prefix = f.events[0]?.id.replace(/-r2$/, '');
    expect((await get(`/api/review/${prefix}-r2`)).status).toBe(405);
    const big = await post(`/api/review/${prefix}-r2`, { verdict: 'fraud', pad: 'y'.repeat(20_000) });
    expect(big.status).toBe(413);
  });
});

describe('the models API', () => {
  it('shows the registry: versions with their alias and metrics, the history newest first', async () => {
    const { status, body } = await get<RegistryView>('/api/models');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      champion: 'fraud_gbdt@2',
      challenger: null,
      shadow: ['fraud_gbdt@3'],
      archived: ['fraud_gbdt@1'],
    });
    expect(body.versions.map((v) => [v.ref, v.alias, v.servable])).toEqual([
      ['fraud_gbdt@1', 'archived', false],
      ['fraud_gbdt@2', 'champion', true],
      ['fraud_gbdt@3', 'shadow', true],
    ]);
    expect(body.versions[1]).toMatchObject({ rocAuc: 0.92, averagePrecision: 0.52, createdBy: 'trainer' });
    expect(body.history.map((h) => [h.ref, h.by, h.why])).toEqual([
      ['fraud_gbdt@3', 'root', 'compare on live traffic'],
      ['fraud_gbdt@2', 'root', 'fraud_core v2'],
      ['fraud_gbdt@1', 'root', 'baseline'],
    ]);
  });

  it('compares champion and shadow on the same live events: distributions, agreement, realized performance', async () => {
    const { status, body } = await get<{ hours: number; live: ModelsLive }>('/api/models/live?hours=24');
    expect(status).toBe(200);
    const live = body.live;
    expect(live.to).toBeGreaterThan(DAY + 12 * 3_600);
    expect(live.models.map((m) => [m.model, m.alias, m.scored, m.deciding])).toEqual([
      ['fraud_gbdt@2', 'champion', 8, 8],
      ['fraud_gbdt@3', 'shadow', 8, 0],
    ]);
    const [champion, shadow] = live.models;
    // @2: three reviews at 0.75 (bin 15 of 20), five approvals at 0.1 (bin 2)
    expect(champion?.distribution[15]).toBeCloseTo(3 / 8);
    expect(champion?.distribution[2]).toBeCloseTo(5 / 8);
    expect(champion?.flagged).toBeCloseTo(3 / 8);
    // labelled: r3 fraud, five approvals genuine
    expect(champion?.performance).toEqual({
      labelled: 6,
      frauds: 1,
      rocAuc: 1,
      averagePrecision: 1,
      precision: 1,
      recall: 1,
    });
    expect(shadow?.performance).toMatchObject({
      labelled: 6,
      frauds: 1,
      rocAuc: 0.8,
      averagePrecision: 0.5,
      precision: 0,
    });
    expect(live.agreement).toHaveLength(1);
    expect(live.agreement[0]).toMatchObject({
      deciding: 'fraud_gbdt@2',
      model: 'fraud_gbdt@3',
      n: 8,
      bothFlag: 0,
      decidingOnly: 3,
      otherOnly: 1,
    });
    expect(live.agreement[0]?.agree).toBeCloseTo(0.5);
    expect(live.agreement[0]?.meanAbsDiff).toBeCloseTo(0.24375);
    expect((await get('/api/models/live?hours=5')).status).toBe(400);
  });

  it('promotes through the registry with who and why, as the model command records it', async () => {
    const r = await post('/api/models/promote', {
      ref: 'fraud_gbdt@3',
      alias: 'challenger',
      why: 'AP 0.70 vs 0.60 on live labels',
    });
    expect(r.status).toBe(201);
    expect((r.body as unknown as RegistryView).challenger).toBe('fraud_gbdt@3');
    const stored = f.aliases();
    expect(stored.challenger).toBe('fraud_gbdt@3');
    expect(stored.shadow).toEqual([]);
    const last = stored.history.at(-1);
    expect(last).toMatchObject({
      action: 'promote',
      ref: 'fraud_gbdt@3',
      alias: 'challenger',
      by: ANA,
      why: 'AP 0.70 vs 0.60 on live labels',
      previous: null,
    });
    expect(Date.parse(last?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
    const audited = (await auditRows('model.promote')).at(-1);
    expect(audited).toMatchObject({
      actor: ANA,
      subject: 'fraud_gbdt@3',
      reason: 'AP 0.70 vs 0.60 on live labels',
    });
    expect(JSON.parse(audited?.details ?? '{}')).toMatchObject({ alias: 'challenger', previous: null });
  });

  it('rolls the champion back to the one before, with who and why', async () => {
    const promoted = await post('/api/models/promote', {
      ref: 'fraud_gbdt@3',
      alias: 'champion',
      why: 'try it',
    });
    expect(promoted.status).toBe(201);
    expect(f.aliases().champion).toBe('fraud_gbdt@3');
    const r = await post('/api/models/rollback', { why: 'decline rate doubled' }, undefined, f.principals.named[OPS]);
    expect(r.status).toBe(201);
    const stored = f.aliases();
    expect(stored.champion).toBe('fraud_gbdt@2');
    expect(stored.history.at(-1)).toMatchObject({
      action: 'rollback',
      ref: 'fraud_gbdt@2',
      alias: 'champion',
      previous: 'fraud_gbdt@3',
      by: OPS,
      why: 'decline rate doubled',
    });
    const audited = await auditRows('model.rollback');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actor: OPS, subject: 'fraud_gbdt@2', reason: 'decline rate doubled' });
    expect(JSON.parse(audited[0]?.details ?? '{}')).toMatchObject({ alias: 'champion', previous: 'fraud_gbdt@3' });
  });

  it.each([
    ['no reason', '/api/models/promote', { ref: 'fraud_gbdt@3', alias: 'shadow' }, 400, 'a reason is required'],
    [
      'a blank reason',
      '/api/models/promote',
      { ref: 'fraud_gbdt@3', alias: 'shadow', why: '  ' },
      400,
      'a reason is required',
    ],
    [
      'a name in the body',
      '/api/models/promote',
      { ref: 'fraud_gbdt@3', alias: 'shadow', by: 'Dana', why: 'x' },
      400,
      'by is not accepted: the promote is recorded as ana.lima',
    ],
    [
      'an unknown version',
      '/api/models/promote',
      { ref: 'fraud_gbdt@9', alias: 'shadow', why: 'x' },
      404,
      'fraud_gbdt@9 is not a registered model version',
    ],
    [
      'a malformed reference',
      '/api/models/promote',
      { ref: 'fraud gbdt', alias: 'shadow', why: 'x' },
      400,
      'is not a model reference',
    ],
    [
      'an unknown alias',
      '/api/models/promote',
      { ref: 'fraud_gbdt@3', alias: 'king', why: 'x' },
      400,
      "alias must be one of champion, challenger, shadow, archived, not 'king'",
    ],
    ['a rollback without a reason', '/api/models/rollback', {}, 400, 'a reason is required'],
  ])('refuses a write with %s: a 4xx and its reason, the registry unchanged', async (_, path, body, status, reason) => {
    const before = JSON.stringify(f.aliases());
    const r = await post(path, body);
    expect(r.status).toBe(status);
    expect(r.body.error).toContain(reason);
    expect(JSON.stringify(f.aliases())).toBe(before);
  });

  it('refuses a form post (415) and GET (405)', async () => {
    const before = JSON.stringify(f.aliases());
    const form = await post('/api/models/rollback', 'why=y', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect((await get('/api/models/promote')).status).toBe(405);
    expect(JSON.stringify(f.aliases())).toBe(before);
  });

  it('makes two promotions sent at once one after the other: neither is lost', async () => {
    const before = f.aliases().history.length;
    const [a, b] = await Promise.all([
      post('/api/models/promote', { ref: 'fraud_gbdt@3', alias: 'shadow', why: 'first' }),
      post('/api/models/promote', { ref: 'fraud_gbdt@1', alias: 'shadow', why: 'second' }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    const stored = f.aliases();
    expect([...stored.shadow].sort()).toEqual(['fraud_gbdt@1', 'fraud_gbdt@3']);
    expect(
      stored.history
        .slice(before)
        .map((h) => h.why)
        .sort(),
    ).toEqual(['first', 'second']);
  });
});

describe('the monitoring API', () => {
  it('reads the monitor’s tables: runs, drift per feature and of the score, quality, performance per series', async () => {
    const { status, body } = await get<{ monitoring: Monitoring }>('/api/monitoring?days=7');
    expect(status).toBe(200);
    const m = body.monitoring;
    expect(m.range.to).toBe((MONITOR_ENDS[2] as number) + 1);
    expect(m.runs).toMatchObject({ count: 3, newest: MONITOR_ENDS[2], breaches: 4, alerts: 2, triggers: 1 });
    expect(m.series.map((s) => s.name)).toEqual([
      'fraud_gbdt@2 control',
      'fraud_gbdt@2 strict',
      'fraud_gbdt@3 control',
    ]);
    expect(m.selected?.name).toBe('fraud_gbdt@2 control');
    // the score first, then features by their newest PSI
    expect(m.subjects.map((s) => s.subject).slice(0, 2)).toEqual(['score', DRIFTING_FEATURE]);
    expect(m.subjects[1]).toMatchObject({
      psi: 0.46,
      ks: 0.27,
      psiMax: 0.46,
      driftBreached: true,
      outOfRangeShare: 0.08,
      qualityBreached: true,
    });
    expect(m.drift.feature).toBe(DRIFTING_FEATURE);
    const psi = m.drift.lines.find((l) => l.name === `${DRIFTING_FEATURE} psi`);
    expect(psi?.times).toEqual(MONITOR_ENDS);
    expect(psi?.values).toEqual([0.04, 0.12, 0.46]);
    expect(psi?.breached).toEqual([false, false, true]);
    expect(m.drift.lines.map((l) => l.name).sort()).toEqual(
      ['score ks', 'score psi', `${DRIFTING_FEATURE} ks`, `${DRIFTING_FEATURE} psi`].sort(),
    );
    expect(m.performance.metrics).toEqual(['roc_auc', 'average_precision', 'card_precision_at_100']);
    const ap = m.performance.lines.find((l) => l.series === 'fraud_gbdt@2 control' && l.metric === 'average_precision');
    expect(ap?.values.map((v) => Number(v?.toFixed(2)))).toEqual([0.6, 0.5, 0.4]);
    expect(ap?.breached).toEqual([false, false, true]);
    expect(m.performance.lines.filter((l) => l.metric === 'roc_auc')).toHaveLength(3);
    expect(m.quality.map((l) => l.name).sort()).toEqual(['dead-letter share', 'volume ratio fraud_gbdt@2 control']);
  });

  it('shows alerts with their evidence, the trigger they raised and what the retraining decided', async () => {
    const { body } = await get<{ monitoring: Monitoring }>('/api/monitoring?days=7');
    const m = body.monitoring;
    expect(m.alerts.map((a) => [a.kind, a.status, a.triggerId])).toEqual([
      ['DRIFT', 'OPEN', 'trigger-drift'],
      ['QUALITY', 'OPEN', ''],
    ]);
    expect(m.alerts[0]?.evidence).toEqual([
      { subject: 'score', metric: 'psi', value: 0.31 },
      { subject: DRIFTING_FEATURE, metric: 'psi', value: 0.46 },
    ]);
    expect(m.alerts[0]?.retraining).toEqual({ decision: 'REGISTERED_SHADOW', candidateVersion: '3' });
    expect(m.alerts[1]?.retraining).toBeNull();
    expect(m.episodes).toMatchObject([{ kind: 'DRIFT', series: 'fraud_gbdt@2 control', cleanRuns: 0 }]);
    expect(m.retrainings).toMatchObject([
      {
        triggerId: 'trigger-drift',
        decision: 'REGISTERED_SHADOW',
        candidateVersion: '3',
        candidate: { averagePrecision: 0.865 },
        champion: { averagePrecision: 0.327 },
        trainRows: 11_336,
      },
    ]);
  });

  it('charts the series and feature asked for, and refuses a span it does not offer', async () => {
    const feature = fraudFeatureSet.names[2] as string;
    const { body } = await get<{ monitoring: Monitoring }>(
      `/api/monitoring?days=30&series=${encodeURIComponent('fraud_gbdt@2 control')}&feature=${feature}`,
    );
    expect(body.monitoring.drift.feature).toBe(feature);
    expect(body.monitoring.drift.lines.find((l) => l.name === `${feature} psi`)?.values).toEqual([0.01, 0.01, 0.01]);
    // a series without drift figures: chosen, nothing to chart
    const strict = await get<{ monitoring: Monitoring }>(
      `/api/monitoring?series=${encodeURIComponent('fraud_gbdt@2 strict')}`,
    );
    expect(strict.body.monitoring.selected?.name).toBe('fraud_gbdt@2 strict');
    expect(strict.body.monitoring.subjects).toEqual([]);
    const bad = await get<{ error: string }>('/api/monitoring?days=3');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('days must be one of 1, 7, 30, 90');
  });
});

describe('the experiments API', () => {
  it('shows where each challenger stands, its newest figures, the timelines of judged metrics and every look', async () => {
    const { status, body } = await get<{ experiment: string | null; experiments: Experiments }>('/api/experiments');
    expect(status).toBe(200);
    const { standings, selected } = body.experiments;
    expect(standings).toEqual([
      expect.objectContaining({
        experiment: 'gbdt_v3',
        variant: 'strict',
        control: 'control',
        asOf: EXPERIMENT_LOOKS[2],
        looks: 3,
        verdict: 'CHALLENGER_WINS',
        recommendation: 'PROMOTE',
        actionStatus: 'RECOMMENDED',
        variantModel: 'fraud_gbdt@3',
        minPValue: 0.01,
      }),
    ]);
    expect(selected?.latest).toHaveLength(1);
    const primary = selected?.latest[0]?.figures[0];
    expect(primary).toMatchObject({
      metric: 'fraud_caught_per_txn',
      kind: 'PRIMARY',
      difference: 60,
      cs: [5, 95],
      breached: false,
    });
    expect(selected?.latest[0]?.figures[1]).toMatchObject({ metric: 'decline_rate', breached: true });
    const line = selected?.timelines.find((t) => t.metric === 'fraud_caught_per_txn');
    // NaN and an open bound before the last look: null, never NaN in JSON
    expect(line).toMatchObject({
      times: EXPERIMENT_LOOKS,
      difference: [40, 50, 60],
      csLow: [null, null, 5],
      csHigh: [null, null, 95],
    });
    expect(selected?.looks.map((l) => l.verdict)).toEqual(['CHALLENGER_WINS', 'CONTINUE', 'CONTINUE']);
  });

  it('answers an unknown experiment with 404 and its name', async () => {
    const r = await get<{ error: string }>('/api/experiments?experiment=nope');
    expect(r.status).toBe(404);
    expect(r.body.error).toContain('no experiment nope');
  });
});

describe('authentication', () => {
  it('refuses every endpoint without a credential (401) and without its role (403); only signing in is open', async () => {
    const routes = f.console.routes;
    expect(routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /login',
      'POST /login',
    ]);
    expect(routes.filter((r) => r.access === 'operate').map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/review/:eventId',
      'POST /api/models/promote',
      'POST /api/models/rollback',
    ]);
    const before = JSON.stringify(f.aliases());
    expect(await refusalsOf(f.url, routes, f.principals)).toEqual(allRefused(routes));
    expect(JSON.stringify(f.aliases())).toBe(before);
  });

  it('gives a browser without a session the sign-in form, with the 401', async () => {
    const response = await fetch(`${f.url}/`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="pipeline"');
    expect(await response.text()).toContain('<form id="login" method="post" action="/login">');
  });

  it('signs in with a token into an HttpOnly, SameSite=Strict session, and out again', async () => {
    const form = (token: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual' as const,
    });
    const wrong = await fetch(`${f.url}/login`, form('not-a-token'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That token is not known.');

    const signedIn = await fetch(`${f.url}/login`, form(f.principals.named[ANA] as string));
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/');
    const setCookie = signedIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^console_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(setCookie).not.toContain(f.principals.named[ANA]);
    const cookie = setCookie.split(';')[0] as string;

    const me = await fetch(`${f.url}/api/me`, { headers: { cookie } });
    expect(await me.json()).toEqual({ name: ANA, roles: ['read', 'operate'] });
    expect((await fetch(`${f.url}/api/models`, { headers: { cookie } })).status).toBe(200);

    const out = await fetch(`${f.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${f.url}/api/models`, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses a viewer a write (403) and records nothing', async () => {
    const before = JSON.stringify(f.aliases());
    const r = await post(
      '/api/models/promote',
      { ref: 'fraud_gbdt@3', alias: 'champion', why: 'x' },
      undefined,
      f.principals.only.read,
    );
    expect(r).toEqual({ status: 403, body: { error: "test-read lacks the role 'operate'" } });
    expect(JSON.stringify(f.aliases())).toBe(before);
  });
});
