import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, enrichedEvent, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('scorer: enriched transactions in, scores out', () => {
  it('emits exactly one champion score per event, plus one flagged score per shadow, with contributions', async () => {
    world = await createWorld();
    await world.addVersion('2');
    await world.registry.promote('fraud_gbdt@2', 'shadow', { by: 'test', why: 'shadow' });
    await world.watcher.check();
    const events = Array.from({ length: 150 }, (_, i) => enrichedEvent(i, 'one-each'));
    await world.send(events);
    const w = world;
    await w.until('300 scores', () => w.scores.length >= 300);
    await new Promise((r) => setTimeout(r, 500)); // nothing extra arrives
    const champion = w.scores.filter((s) => !s.shadow);
    const shadow = w.scores.filter((s) => s.shadow);
    expect(champion.map((s) => s.event_id).sort()).toEqual(events.map((e) => e.transaction.event_id).sort());
    expect(new Set(champion.map((s) => `${s.model_name}@${s.model_version}`))).toEqual(new Set(['fraud_gbdt@1']));
    expect(shadow.map((s) => s.event_id).sort()).toEqual(events.map((e) => e.transaction.event_id).sort());
    expect(new Set(shadow.map((s) => s.model_version))).toEqual(new Set(['2']));
    for (const s of w.scores) {
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(1);
      expect(s.latency_ms).toBeGreaterThan(0);
      expect(s.feature_set_version).toBe(2);
    }
    const explained = champion.filter((s) => s.score >= 0.05);
    expect(explained.length).toBeGreaterThan(0);
    for (const s of explained) {
      expect(s.contributions.length).toBeGreaterThan(0);
      expect(s.contributions.length).toBeLessThanOrEqual(3);
    }
    expect(shadow.every((s) => s.contributions.length === 0)).toBe(true);
  });

  it('dead-letters a vector of another feature-set version or length, with the reason, and scores the rest', async () => {
    world = await createWorld();
    const good = enrichedEvent(0, 'dlq');
    const wrongVersion = enrichedEvent(1, 'dlq');
    wrongVersion.features.version = 1;
    const short = enrichedEvent(2, 'dlq');
    short.features.values = short.features.values.slice(0, 10);
    await world.send([good, wrongVersion, short]);
    const w = world;
    await w.until('2 dead letters and a score', () => w.deadLetters.length >= 2 && w.scores.length >= 1);
    expect(w.scores.map((s) => s.event_id)).toEqual([good.transaction.event_id]);
    expect(w.deadLetters.map((d) => d.error_type)).toEqual(['VectorMismatchError', 'VectorMismatchError']);
    const reasons = w.deadLetters.map((d) => d.error).join('\n');
    expect(reasons).toContain('fraud_core v1 is not fraud_core v2');
    expect(reasons).toContain('feature vector has 10 values');
    expect(w.deadLetters.every((d) => d.service === 'scorer-test')).toBe(true);
  });
});
