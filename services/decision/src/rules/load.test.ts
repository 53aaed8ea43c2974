import { readFileSync } from 'node:fs';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { defaultRulesFile } from '../config.js';
import { RuleFileError } from '../errors.js';
import { tinyFeatureSet } from '../testing.js';
import { parseRuleSet } from './load.js';

const base = `version: "v1"
score_bands:
  - { name: high, min: 0.8 }
  - { name: low, min: 0 }
thresholds:
  default: { decline: 0.9, review: 0.6 }
`;

function refusal(text: string): RuleFileError {
  try {
    parseRuleSet(text, tinyFeatureSet, 'test.yaml');
  } catch (error) {
    if (error instanceof RuleFileError) return error;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('parseRuleSet', () => {
  it('loads the shipped rule file against the real fraud feature set', () => {
    const rules = parseRuleSet(readFileSync(defaultRulesFile, 'utf8'), fraudFeatureSet, defaultRulesFile);
    expect(rules.version).toBe('2025-01-01.1');
    expect(rules.rules.map((r) => r.id)[0]).toBe('very_large_amount');
    expect(rules.thresholds.segments[0]?.name).toBe('card_not_present');
  });

  it('sorts rules by priority and bands by minimum, and gives a control variant without an experiment', () => {
    const rules = parseRuleSet(
      `${base}rules:
  - { id: low, priority: 1, action: REVIEW, when: { field: score, op: ">", value: 0.1 } }
  - { id: high, priority: 9, action: DECLINE, when: { feature: amount_ratio, op: ">", value: 3 } }
`,
      tinyFeatureSet,
    );
    expect(rules.rules.map((r) => r.id)).toEqual(['high', 'low']);
    expect(rules.scoreBands.map((b) => b.name)).toEqual(['high', 'low']);
    expect(rules.experiment.variants).toEqual([{ name: 'control', share: 1, model: null, thresholds: null }]);
    expect(rules.thresholds.priority).toBe(50);
  });

  it('refuses invalid YAML with its line', () => {
    const error = refusal(`${base}rules:\n  - { id: x, priority: 1\n`);
    expect(error.line).toBeGreaterThanOrEqual(7);
    expect(error.message).toMatch(/^rule file test\.yaml: line \d+, column \d+: /);
  });

  it('refuses an unknown operator with the line of the operator', () => {
    const error = refusal(`${base}rules:
  - id: bad_op
    priority: 1
    action: DECLINE
    when:
      field: transaction.amount_minor
      op: "=>"
      value: 5
`);
    expect(error.line).toBe(13);
    expect(error.reason).toContain('rules.0.when.op');
  });

  it('refuses an unknown feature, naming it and its line', () => {
    const error = refusal(`${base}rules:
  - id: ghost
    priority: 1
    action: REVIEW
    when: { feature: no_such_feature, op: ">", value: 1 }
`);
    expect(error.line).toBe(11);
    expect(error.reason).toContain("unknown feature 'no_such_feature'");
  });

  it('refuses an unknown field, a bad between, an ordering comparison on text, a duplicate id', () => {
    expect(
      refusal(
        `${base}rules:\n  - { id: a, priority: 1, action: REVIEW, when: { field: transaction.nope, op: "==", value: 1 } }\n`,
      ).reason,
    ).toContain("unknown field 'transaction.nope'");
    expect(
      refusal(
        `${base}rules:\n  - { id: a, priority: 1, action: REVIEW, when: { field: score, op: between, value: [0.9, 0.1] } }\n`,
      ).reason,
    ).toContain("'between' takes [low, high]");
    expect(
      refusal(
        `${base}rules:\n  - { id: a, priority: 1, action: REVIEW, when: { field: transaction.country, op: "<", value: PT } }\n`,
      ).reason,
    ).toContain("'<' compares numbers");
    const dup = `${base}rules:
  - { id: a, priority: 1, action: REVIEW, when: { field: score, op: ">", value: 0.5 } }
  - { id: a, priority: 2, action: REVIEW, when: { field: score, op: ">", value: 0.5 } }
`;
    expect(refusal(dup)).toMatchObject({ line: 9, reason: expect.stringContaining("duplicate rule id 'a'") });
  });

  it('refuses a missing version and experiment shares that do not add up to 1', () => {
    expect(refusal('score_bands: [{ name: low, min: 0 }]\nthresholds: { default: {} }\n').reason).toContain('version');
    const shares = `${base}experiment:
  name: exp
  variants:
    - { name: control, share: 0.5 }
    - { name: strict, share: 0.4 }
`;
    expect(refusal(shares)).toMatchObject({ line: 10, reason: expect.stringContaining('add up to 0.9') });
  });

  it('refuses a condition that mixes forms', () => {
    const error = refusal(`${base}rules:
  - id: mixed
    priority: 1
    action: REVIEW
    when: { all: [{ field: score, op: ">", value: 0.5 }], field: score }
`);
    expect(error.reason).toContain('a condition is one of');
  });
});
