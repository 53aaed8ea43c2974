import { describe, expect, it } from 'vitest';
import type { RuleHits } from '../src/rules/hits.js';
import type { RuleSetView } from '../src/rules/rule-file.js';
import { hitsChartData, hitsForFile, percent, ruleRows } from './rules-data.js';

const ruleSet: RuleSetView = {
  version: 'v2',
  defaultAction: 'APPROVE',
  rules: [
    { id: 'big', description: null, priority: 100, action: 'DECLINE', condition: 'amount > 1' },
    { id: 'quiet', description: null, priority: 10, action: 'REVIEW', condition: 'x' },
  ],
  lists: { deny: 1, allow: 0 },
  thresholds: null,
  variants: [],
};

describe('the rules page data', () => {
  it('takes the hits of the file’s version, else of the busiest version', () => {
    const hits: RuleHits[] = [
      { version: 'v1', decisions: 100, hits: {} },
      { version: 'v2', decisions: 10, hits: { big: 1 } },
    ];
    expect(hitsForFile(ruleSet, hits)?.version).toBe('v2');
    expect(hitsForFile({ ...ruleSet, version: 'v9' }, hits)?.version).toBe('v1');
    expect(hitsForFile(null, [])).toBeNull();
  });

  it('gives every rule its hits and share, adds the lists and rules no longer in the file', () => {
    const rows = ruleRows(ruleSet, { version: 'v2', decisions: 200, hits: { big: 20, DENY_LIST: 2, old_rule: 4 } });
    expect(rows.map((r) => [r.id, r.hits, r.share])).toEqual([
      ['big', 20, 0.1],
      ['quiet', 0, 0],
      ['DENY_LIST', 2, 0.01],
      ['old_rule', 4, 0.02],
    ]);
    expect(rows[3]?.description).toBe('not in the file');
    expect(ruleRows(ruleSet, null).map((r) => r.share)).toEqual([null, null]);
  });

  it('charts one bar per rule and formats shares', () => {
    const chart = hitsChartData(ruleRows(ruleSet, { version: 'v2', decisions: 10, hits: { big: 3 } }));
    expect(chart.labels).toEqual(['big', 'quiet']);
    expect(chart.datasets[0]?.data).toEqual([3, 0]);
    expect(percent(null)).toBe('–');
    expect(percent(0)).toBe('0 %');
    expect(percent(0.0004)).toBe('< 0.1 %');
    expect(percent(0.1234)).toBe('12.3 %');
  });
});
