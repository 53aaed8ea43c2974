import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuleFileError } from '../errors.js';
import { parseRankingPolicy, type RankingPolicy } from '../ranking/policy.js';
import { tinyFeatureSet } from '../testing.js';
import { openPolicyStore, openRuleStore, type PolicyStore, type RuleStore } from './store.js';

const file = (version: string) => `version: "${version}"
score_bands: [{ name: low, min: 0 }]
thresholds: { default: { decline: 0.9 } }
`;

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('rule store', () => {
  let dir = '';
  let store: RuleStore | undefined;
  afterEach(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad file at start', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, 'version: "x"\nscore_bands: []\nthresholds: { default: {} }\n');
    await expect(openRuleStore({ file: path, featureSet: tinyFeatureSet, pollMs: 50 })).rejects.toBeInstanceOf(
      RuleFileError,
    );
  });

  it('keeps the last good rule set when a bad file lands, and applies the next good one without restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, file('v1'));
    const refused: unknown[] = [];
    const applied: string[] = [];
    store = await openRuleStore({
      file: path,
      featureSet: tinyFeatureSet,
      pollMs: 50,
      onRefused: (e) => refused.push(e),
      onApplied: (r) => applied.push(r.version),
    });
    expect(store.current().version).toBe('v1');

    writeFileSync(
      path,
      `${file('v2')}rules:\n  - { id: x, priority: 1, action: NOPE, when: { field: score, op: ">", value: 1 } }\n`,
    );
    await until(() => refused.length > 0);
    expect(refused[0]).toBeInstanceOf(RuleFileError);
    expect((refused[0] as RuleFileError).line).toBe(5);
    expect(store.current().version).toBe('v1');

    writeFileSync(path, file('v3'));
    await until(() => store?.current().version === 'v3');
    expect(applied).toEqual(['v3']);
  });
});

describe('policy store (the ranking policy through the same loader)', () => {
  let dir = '';
  let store: PolicyStore<RankingPolicy> | undefined;
  afterEach(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the last good policy when a bad file lands, and applies the next good one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const path = join(dir, 'recsys.yaml');
    const policy = (version: string, order: string) => `version: "${version}"\nfallback_order: ${order}\n`;
    writeFileSync(path, policy('p1', 'amount_ratio'));
    const refused: unknown[] = [];
    store = await openPolicyStore({
      file: path,
      parse: (text, f) => parseRankingPolicy(text, tinyFeatureSet, f),
      pollMs: 50,
      onRefused: (e) => refused.push(e),
    });
    expect(store.current().fallbackOrder).toEqual({ feature: 'amount_ratio', index: 1 });

    writeFileSync(path, policy('p2', 'no_such_feature'));
    await until(() => refused.length > 0);
    expect((refused[0] as RuleFileError).message).toBe(
      `rule file ${path}: line 2, column 17: fallback_order: not a feature of the feature set`,
    );
    expect(store.current().version).toBe('p1');

    writeFileSync(path, policy('p3', 'txn_count_1h'));
    await until(() => store?.current().version === 'p3');
    expect(store.current().fallbackOrder.index).toBe(0);
  });
});
