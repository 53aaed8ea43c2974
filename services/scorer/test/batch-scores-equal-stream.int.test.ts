import { afterEach, describe, expect, it } from 'vitest';
import { readOutputCsv, scoreBatch, tempPath, writeInputCsv } from './batch.js';
import { createWorld, enrichedEvent, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('batch scoring: a file scores exactly as the stream does', () => {
  it('gives every event the stream’s score and contributions, bit for bit, for the same vectors and model version', async () => {
    // The stream: enriched events through the scorer service (Kafka in, scores topic out).
    world = await createWorld();
    const events = Array.from({ length: 200 }, (_, i) => enrichedEvent(i, 'batch-equal'));
    await world.send(events);
    const w = world;
    await w.until('200 scores', () => w.scores.length >= events.length);
    const stream = new Map(w.scores.map((s) => [s.event_id, s]));
    expect(stream.size).toBe(events.length);

    // The batch: the same vectors from a CSV file, the same model version, explained from the same score.
    const output = tempPath('scores.csv');
    const run = await scoreBatch([
      ...['--model', 'fraud_gbdt@1', '--registry', w.registry.dir],
      ...['--input', writeInputCsv(events), '--output', output],
      ...['--explain', '--explain-min-score', '0.05'],
    ]);
    expect(run.err).not.toContain('error');
    expect(run.code).toBe(0);
    const batch = readOutputCsv(output);
    expect([...batch.keys()]).toEqual(events.map((e) => e.transaction.event_id));
    let explained = 0;
    for (const [eventId, s] of batch) {
      const expected = stream.get(eventId);
      expect(expected?.model_version).toBe('1');
      expect(s.score, eventId).toBe(expected?.score);
      expect(s.contributions, eventId).toEqual(expected?.contributions);
      if (s.contributions.length > 0) explained++;
    }
    // Not a vacuous match: both scored a spread of values and explained some of them.
    expect(new Set([...batch.values()].map((s) => s.score)).size).toBeGreaterThan(20);
    expect(explained).toBeGreaterThan(0);
  });
});
