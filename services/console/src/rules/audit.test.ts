import { readFileSync } from 'node:fs';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { defaultRulesFile } from '../config.js';
import { ruleSetChange } from './audit.js';

const text = readFileSync(defaultRulesFile, 'utf8');
const change = (previous: Parameters<typeof ruleSetChange>[0], t: string) =>
  ruleSetChange(previous, t, 'fraud.yaml', fraudFeatureSet, 'console');

describe('rule-set changes for the audit', () => {
  it('records a rule file not audited yet with its version, hash and rule ids', () => {
    const entry = change(null, text);
    expect(entry).toMatchObject({ action: 'rules.change', subject: 'fraud.yaml', actor: 'rules file' });
    expect(entry?.details).toMatchObject({ version: '2025-01-01.1', previous_version: null });
    expect(entry?.details.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(entry?.details.rules).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('records nothing for the same file, and the previous version for a changed one', () => {
    const first = change(null, text);
    const previous = { sha256: first?.details.sha256 as string, version: first?.details.version as string };
    expect(change(previous, text)).toBeNull();
    const edited = text.replace('version: "2025-01-01.1"', 'version: "2025-01-02.1"');
    expect(change(previous, edited)?.details).toMatchObject({
      version: '2025-01-02.1',
      previous_version: '2025-01-01.1',
      previous_sha256: previous.sha256,
    });
  });

  it('records nothing the decision engine would refuse (it keeps the previous rules), and never list entries', () => {
    expect(change(null, `${text}\n  - broken: [`)).toBeNull();
    const listed = text.replace('customers: []', 'customers: [C-SECRET-1]');
    const entry = change(null, listed);
    expect(entry?.details.deny_entries).toBe(1);
    expect(JSON.stringify(entry)).not.toContain('C-SECRET-1');
  });
});
