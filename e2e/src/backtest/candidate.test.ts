import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRulesFile } from '@pipeline/decision';
import { defaultRegistryDir, fileRegistry } from '@pipeline/scorer';
import { afterAll, describe, expect, it } from 'vitest';
import { BacktestInputError, candidateModel, candidateRegistry, loadCandidateRules } from './candidate.js';

const dir = mkdtempSync(join(tmpdir(), 'backtest-candidate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the candidate', () => {
  it('defaults to the committed rule file, validated by the engine’s loader', () => {
    const rules = loadCandidateRules(null);
    expect(rules.file).toBe(defaultRulesFile);
    expect(rules.ruleIds).toContain('very_large_amount');
  });

  it('refuses a rule file the engine would refuse, with the engine’s line and reason', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      readFileSync(defaultRulesFile, 'utf8').replace('feature: terminal_fraud_rate_7d', 'feature: nope'),
    );
    expect(() => loadCandidateRules(file)).toThrow(BacktestInputError);
    expect(() => loadCandidateRules(file)).toThrow(
      /--rules: rule file .*bad\.yaml: line \d+, column \d+: .*unknown feature 'nope'/,
    );
    expect(() => loadCandidateRules(join(dir, 'missing.yaml'))).toThrow(/--rules: cannot read/);
  });

  it('refuses an experiment whose variants decide with another model', () => {
    const file = join(dir, 'experiment.yaml');
    writeFileSync(
      file,
      `${readFileSync(defaultRulesFile, 'utf8')}\nexperiment:\n  name: x\n  variants:\n    - { name: a, share: 0.5 }\n    - { name: b, share: 0.5, model: fraud_gbdt }\n`,
    );
    expect(() => loadCandidateRules(file)).toThrow(/experiment variants naming a model \(b: fraud_gbdt\)/);
  });

  it('refuses a model the registry does not have, or one of another feature set', async () => {
    await expect(candidateModel('fraud_gbdt@99')).rejects.toThrow(
      /fraud_gbdt@99 is not in the model registry .*known: .*fraud_gbdt@2/,
    );
    await expect(candidateModel('fraud_gbdt@1')).rejects.toThrow(/takes feature set fraud_core v1/);
  });

  it('serves the candidate alone from a registry of its own, leaving the committed one as it was', async () => {
    const before = readFileSync(join(defaultRegistryDir, 'aliases.json'), 'utf8');
    const registry = await candidateRegistry('fraud_gbdt@2', join(dir, 'models'));
    const aliases = await fileRegistry(registry).aliases();
    expect(aliases).toMatchObject({ champion: 'fraud_gbdt@2', challenger: null, shadow: [] });
    expect(readFileSync(join(defaultRegistryDir, 'aliases.json'), 'utf8')).toBe(before);
  });
});
