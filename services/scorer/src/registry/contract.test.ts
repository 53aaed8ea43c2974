import { readFileSync } from 'node:fs';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { ModelContractError } from '../errors.js';
import { checkContract } from './contract.js';
import { committedModelDir } from './test-registry.js';
import type { ModelMetadata } from './types.js';

const meta = JSON.parse(readFileSync(`${committedModelDir}metadata.json`, 'utf8')) as ModelMetadata;

describe('checkContract', () => {
  it('accepts the committed champion for the served feature set', () => {
    expect(checkContract(meta, fraudFeatureSet)).toBeUndefined();
  });
  it('refuses another feature-set version', () => {
    const error = checkContract({ ...meta, feature_set: { ...meta.feature_set, version: 1 } }, fraudFeatureSet);
    expect(error).toBeInstanceOf(ModelContractError);
    expect(error?.message).toMatch(/fraud_core v1; the scorer serves fraud_core v2/);
  });
  it('refuses another input order', () => {
    const names = [...meta.feature_set.names];
    [names[0], names[1]] = [names[1] as string, names[0] as string];
    expect(checkContract({ ...meta, feature_set: { ...meta.feature_set, names } }, fraudFeatureSet)?.message).toMatch(
      /input 0 is/,
    );
  });
});
