import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import { EMPTY_ALIASES } from '../registry/aliases.js';
import { resolveModelRef } from './model-ref.js';

const aliases = { ...EMPTY_ALIASES, champion: 'fraud_gbdt@2', shadow: ['fraud_gbdt@3'], archived: ['fraud_gbdt@1'] };

describe('resolveModelRef', () => {
  it('takes a version as it is and an alias as the alias file assigns it now', () => {
    expect(resolveModelRef('fraud_gbdt@1', aliases)).toBe('fraud_gbdt@1');
    expect(resolveModelRef('champion', aliases)).toBe('fraud_gbdt@2');
    expect(resolveModelRef('shadow', aliases)).toBe('fraud_gbdt@3');
  });

  it('refuses an unassigned alias, an ambiguous one and a malformed reference', () => {
    expect(() => resolveModelRef('challenger', aliases)).toThrow(/no challenger is assigned/);
    expect(() => resolveModelRef('shadow', { ...aliases, shadow: ['a@1', 'a@2'] })).toThrow(
      /shadow is 2 versions \(a@1, a@2\)/,
    );
    expect(() => resolveModelRef('archived', aliases)).toThrow(RegistryError);
    expect(() => resolveModelRef('fraud_gbdt', aliases)).toThrow(/not a model reference/);
  });
});
