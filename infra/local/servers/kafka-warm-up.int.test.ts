import { testKafka, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { warmUpKafka } from './kafka-warm-up.js';

describe('warmUpKafka against the running broker', () => {
  it('measures produce round trips per window and leaves no topic or group behind', async () => {
    const name = uniqueName('warm-up');
    const lines: string[] = [];
    const result = await warmUpKafka(testKafka('warm-up-test'), {
      name,
      maxSeconds: 3,
      windowSeconds: 1,
      minGain: 0.1,
      report: (line) => lines.push(line),
    });

    expect(result.rates.length).toBeGreaterThanOrEqual(3);
    expect(result.rates.every((rate) => rate > 0)).toBe(true);
    expect(lines).toHaveLength(result.rates.length);
    expect(lines[0]).toMatch(/warming up: \d+s, \d+ produce round trips\/s/);

    const admin = testKafka('warm-up-check').admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(name);
      const { groups } = await admin.listGroups();
      expect(groups.map((g) => g.groupId)).not.toContain(name);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});
