import { fraudFeatureSet } from '@pipeline/feature-sets';
import { sql } from '@pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMix, Provenance, QueueItem } from '../src/decisions/shape.js';
import type { LiveSnapshot } from '../src/live/snapshot.js';
import type { RuleHits } from '../src/rules/hits.js';
import type { RuleSetView } from '../src/rules/rule-file.js';
import { type ConsoleFixture, eventually, startConsoleFixture } from './fixture.js';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture();
});
afterAll(async () => {
  await f?.stop();
});

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${f.url}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

async function post(path: string, body: unknown, type = 'application/json') {
  const response = await fetch(`${f.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } & Record<string, unknown> };
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
    ]);
    expect(body.services[1]?.failing).toEqual(['consuming']);
    expect(body.services[0]?.deadLettered).toBe(2);
    expect(body.deadLetters.rows).toEqual([
      { service: 'features', errorType: 'MalformedMessageError', count: 1, example: 'frame too short' },
    ]);
    expect(body.kafkaErrors).toEqual([]);
  });

  it('streams snapshots as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${f.url}/api/live/stream`, { signal: controller.signal });
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
    const r = await post(`/api/review/${event.id}`, { verdict: 'fraud', reviewer: 'Ana Lima' });
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
    expect(row?.reviewer).toBe('Ana Lima');
    expect(row?.is_fraud).toBe(1);
    expect(Number(row?.reviewed_at_ms)).toBeGreaterThanOrEqual(before);
    const queue = await get<{ items: QueueItem[]; pending: number }>('/api/review');
    expect(queue.body.items.map((i) => i.eventId)).not.toContain(event.id);
    expect(queue.body.pending).toBe(2);
    const provenance = await get<Provenance>(`/api/decisions/event/${event.id}`);
    expect(provenance.body.review).toMatchObject({ isFraud: true, reviewer: 'Ana Lima' });
  });

  it.each([
    [
      'a second review of the same event',
      '-r1',
      { verdict: 'genuine', reviewer: 'bo' },
      'application/json',
      409,
      'already reviewed by Ana Lima',
    ],
    [
      'an event not under review',
      '-a0',
      { verdict: 'genuine', reviewer: 'bo' },
      'application/json',
      409,
      'decided APPROVE, not REVIEW',
    ],
    [
      'an unknown event',
      '-nope',
      { verdict: 'genuine', reviewer: 'bo' },
      'application/json',
      404,
      'no decision for event',
    ],
    ['a bad verdict', '-r2', { verdict: 'perhaps', reviewer: 'bo' }, 'application/json', 400, 'verdict must be'],
    ['no reviewer', '-r2', { verdict: 'fraud' }, 'application/json', 400, 'reviewer is missing'],
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
    const big = await post(`/api/review/${prefix}-r2`, { verdict: 'fraud', reviewer: 'x', pad: 'y'.repeat(20_000) });
    expect(big.status).toBe(413);
  });
});
