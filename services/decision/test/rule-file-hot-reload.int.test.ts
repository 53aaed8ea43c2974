import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enriched, tinyFeatureSet } from '../src/testing.js';
import { createWorld, until } from './harness.js';

const rules = (version: string, limit: number) => `version: "${version}"
score_bands: [{ name: low, min: 0 }]
thresholds: { default: { decline: 0.9 } }
rules:
  - { id: over_limit, priority: 100, action: DECLINE, when: { field: transaction.amount_minor, op: ">", value: ${limit} } }
`;

describe('the rule file is reloaded without restart', () => {
  it('keeps deciding with the old rules while the file is malformed, and names the new version once a good one lands', async () => {
    const world = await createWorld(rules('v1', 5000), tinyFeatureSet, 1);
    try {
      await world.startEngine({ budgetMs: 50 });
      let n = 0;
      const send = async () => {
        n += 1;
        await world.sendEnriched([enriched({ event_id: `e-${n}`, amount_minor: 6000 })]);
        return `e-${n}`;
      };
      const decisionOf = (id: string) => world.decisions.find((d) => d.event_id === id);

      const before = await send();
      await until(() => decisionOf(before) !== undefined, 'a v1 decision');
      expect(decisionOf(before)).toMatchObject({
        rule_set_version: 'v1',
        action: 'DECLINE',
        reason_codes: ['RULE:over_limit', 'FALLBACK:RULES_ONLY'],
      });

      writeFileSync(world.rulesFile, `${rules('v2-bad', 5000)}  - { id: broken, priority: high }\n`);
      await new Promise((r) => setTimeout(r, 1000));
      const during = await send();
      await until(() => decisionOf(during) !== undefined, 'a decision while the file is bad');
      expect(decisionOf(during)).toMatchObject({ rule_set_version: 'v1', action: 'DECLINE' });

      writeFileSync(world.rulesFile, rules('v3', 10_000));
      // Keep sending until a decision names v3; from then on every decision does.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const id = await send();
        await until(() => decisionOf(id) !== undefined, 'a decision during the reload');
        if (decisionOf(id)?.rule_set_version === 'v3') break;
        if (Date.now() > deadline) throw new Error('no decision named v3 in time');
        await new Promise((r) => setTimeout(r, 100));
      }
      const after = [await send(), await send()];
      await until(() => after.every((id) => decisionOf(id) !== undefined), 'decisions after the reload');
      for (const id of after) expect(decisionOf(id)).toMatchObject({ rule_set_version: 'v3', action: 'APPROVE' });
      // On one partition decisions are in order: nothing after the first v3 names an older version.
      const firstV3 = world.decisions.findIndex((d) => d.rule_set_version === 'v3');
      expect(world.decisions.slice(firstV3).every((d) => d.rule_set_version === 'v3')).toBe(true);
      expect(world.decisions.some((d) => d.rule_set_version === 'v2-bad')).toBe(false);
    } finally {
      await world.close();
    }
  });
});
