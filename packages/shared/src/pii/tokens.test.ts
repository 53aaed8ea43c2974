import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createTokenizer, isToken, parseKeyRing, tokenizerFromEnv } from './tokens.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('tokenization', () => {
  it('gives the same token for the same id, kind and key, and a different one otherwise', () => {
    const t = createTokenizer(parseKeyRing(`k1:${A}`));
    const c1 = t.token('customer', 'C1');
    expect(c1).toMatch(/^tok_k1_[0-9a-f]{32}$/);
    expect(t.token('customer', 'C1')).toBe(c1);
    expect(t.token('customer', 'C2')).not.toBe(c1);
    expect(t.token('terminal', 'C1')).not.toBe(c1);
    expect(t.token('user', 'C1')).not.toBe(c1);
    expect(t.token('user', 'C1')).toMatch(/^tok_k1_[0-9a-f]{32}$/);
    expect(c1).not.toContain('C1');
  });

  it('is keyed: another secret under the same id gives another token', () => {
    const one = createTokenizer(parseKeyRing(`k1:${A}`));
    const other = createTokenizer(parseKeyRing(`k1:${B}`));
    expect(one.token('customer', 'C1')).not.toBe(other.token('customer', 'C1'));
    expect(one.describe()).not.toBe(other.describe());
    expect(one.describe()).not.toContain(A);
  });

  it('after a rotation makes new tokens with the new key and finds old ones under every key', () => {
    const before = createTokenizer(parseKeyRing(`k1:${A}`));
    const after = createTokenizer(parseKeyRing(`k2:${B},k1:${A}`));
    const old = before.token('customer', 'C1');
    const fresh = after.token('customer', 'C1');
    expect(after.currentKeyId).toBe('k2');
    expect(fresh).toMatch(/^tok_k2_/);
    expect(after.tokensFor('customer', 'C1')).toEqual([fresh, old]);
  });

  it('passes a token through unchanged, so replayed rows and console labels are not tokenized twice', () => {
    const t = createTokenizer(parseKeyRing(`k2:${B}`));
    const old = createTokenizer(parseKeyRing(`k1:${A}`)).token('terminal', 'T1');
    expect(isToken(old)).toBe(true);
    expect(isToken('T1')).toBe(false);
    expect(t.token('terminal', old)).toBe(old);
    expect(t.tokensFor('terminal', old)).toEqual([old]);
  });

  it.each([
    [undefined, 'is not set'],
    ['', 'is not set'],
    ['k1', 'entry 1 is not id:secret'],
    [`K1:${A}`, 'key id must be'],
    ['k1:short', 'at least 32 characters'],
    [`k1:${A},k1:${B}`, 'appears twice'],
  ])('stops on %s naming PII_TOKEN_KEYS, never echoing a secret', (value, reason) => {
    let error: unknown;
    try {
      tokenizerFromEnv({ PII_TOKEN_KEYS: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['PII_TOKEN_KEYS']);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain('short');
    expect((error as Error).message).not.toContain(A);
  });
});
