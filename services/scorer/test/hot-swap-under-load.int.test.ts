import { afterEach, describe, expect, it } from 'vitest';
import { createWorld, enrichedEvent, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

// The same swap whichever registry holds the aliases: the alias file, or MLflow's registered-model aliases.
describe.each(['file', 'mlflow'] as const)('scorer: hot swap under continuous load (%s registry)', (registry) => {
  it('scores every event exactly once by the champion: the old version before the switch, the new after', async () => {
    world = await createWorld({ pollMs: 50, registry });
    const v2 = await world.addVersion('2');
    const w = world;
    let sent = 0;
    let promotedAt = -1;
    let swappedAt = -1;
    const total = 1200;
    // Continuous load: 20 events every 20 ms; the promotion lands in the middle.
    while (sent < total) {
      const batch = Array.from({ length: 20 }, (_, i) => enrichedEvent(sent + i, 'swap'));
      await w.send(batch);
      sent += batch.length;
      if (sent === total / 2) {
        await w.registry.promote(v2, 'champion', { by: 'test', why: 'swap under load' });
        promotedAt = sent;
      }
      await new Promise((r) => setTimeout(r, 20));
      if (swappedAt < 0 && w.watcher.current().champion.version === '2') swappedAt = sent;
    }
    await w.until(`${total} champion scores`, () => w.scores.filter((s) => !s.shadow).length >= total, 45_000);
    await new Promise((r) => setTimeout(r, 500));
    const champion = w.scores.filter((s) => !s.shadow);
    const ids = champion.map((s) => s.event_id);
    expect(new Set(ids).size).toBe(total);
    expect(ids.length).toBe(total);
    expect(promotedAt).toBe(total / 2);
    // Per partition (the order events are consumed in), versions never go back from 2 to 1.
    const index = (id: string) => Number(id.split('-').at(-1));
    const versions = new Set(champion.map((s) => s.model_version));
    expect(versions).toEqual(new Set(['1', '2']));
    const byCustomer = new Map<string, { i: number; v: string }[]>();
    for (const s of champion) {
      const list = byCustomer.get(s.customer_id) ?? [];
      list.push({ i: index(s.event_id), v: s.model_version });
      byCustomer.set(s.customer_id, list);
    }
    for (const list of byCustomer.values()) {
      list.sort((a, b) => a.i - b.i);
      const firstNew = list.findIndex((x) => x.v === '2');
      expect(firstNew).toBeGreaterThanOrEqual(0);
      expect(list.slice(firstNew).every((x) => x.v === '2')).toBe(true);
    }
    // Events sent once the swap was seen are all scored by v2; none before the promotion by v2.
    expect(swappedAt).toBeGreaterThan(0);
    expect(champion.filter((s) => index(s.event_id) >= swappedAt).every((s) => s.model_version === '2')).toBe(true);
  });
});
