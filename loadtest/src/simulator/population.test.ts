import { describe, expect, it } from 'vitest';
import { validateConfig } from './config.js';
import { buildPopulation, COUNTRIES } from './population.js';
import { Random } from './random.js';

describe('buildPopulation', () => {
  it('gives every customer nearby terminals within the radius, at most the cap', () => {
    const config = validateConfig({ customers: 2_000, terminals: 3_000, radius: 5, maxTerminalsPerCustomer: 20 });
    const pop = buildPopulation(config, new Random(1));
    let capped = 0;
    let empty = 0;
    let overCap = 0;
    let duplicates = 0;
    let farthest = 0;
    for (let c = 0; c < pop.customerCount; c++) {
      const terminals = [...pop.nearby.subarray(pop.nearbyStart[c] ?? 0, pop.nearbyStart[c + 1] ?? 0)];
      if (terminals.length === 0) empty++;
      if (terminals.length > 20) overCap++;
      if (terminals.length === 20) capped++;
      if (new Set(terminals).size !== terminals.length) duplicates++;
      for (const t of terminals) {
        const dx = (pop.terminalX[t] ?? 0) - (pop.customerX[c] ?? 0);
        const dy = (pop.terminalY[t] ?? 0) - (pop.customerY[c] ?? 0);
        farthest = Math.max(farthest, Math.hypot(dx, dy));
      }
    }
    expect({ empty, overCap, duplicates }).toEqual({ empty: 0, overCap: 0, duplicates: 0 });
    expect(farthest).toBeLessThanOrEqual(5);
    expect(capped).toBeGreaterThan(1_000); // ~23 terminals within 5 on average: the cap binds
    const expected = pop.terminalVolume.reduce((a, b) => a + b, 0);
    expect(expected).toBeCloseTo(pop.dailyVolume, 6);
    expect(new Set(pop.customerIds).size).toBe(2_000);
    expect(pop.customerIds[42]).toBe('C000042');
    expect(pop.terminalIds[7]).toBe('T000007');
    expect(new Set(pop.terminalCountry).size).toBe(COUNTRIES.length);
  });

  it('falls back to the single nearest terminal when none is within the radius', () => {
    const config = validateConfig({ customers: 300, terminals: 20, radius: 0.5 });
    const pop = buildPopulation(config, new Random(2));
    for (let c = 0; c < pop.customerCount; c++) {
      const start = pop.nearbyStart[c] ?? 0;
      const end = pop.nearbyStart[c + 1] ?? 0;
      expect(end - start).toBeGreaterThanOrEqual(1);
      const x = pop.customerX[c] ?? 0;
      const y = pop.customerY[c] ?? 0;
      const distance = (t: number) => Math.hypot((pop.terminalX[t] ?? 0) - x, (pop.terminalY[t] ?? 0) - y);
      let nearest = Number.POSITIVE_INFINITY;
      for (let t = 0; t < pop.terminalCount; t++) nearest = Math.min(nearest, distance(t));
      if (nearest > 0.5) {
        expect(end - start).toBe(1);
        expect(distance(pop.nearby[start] ?? -1)).toBe(nearest);
      }
    }
  });
});
