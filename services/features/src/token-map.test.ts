import { createTokenizer, parseKeyRing } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { createTokenMap, tokenEntries } from './token-map.js';

const tokenizer = createTokenizer(parseKeyRing(`k2:${'b'.repeat(32)},k1:${'a'.repeat(32)}`));
const HOUR = 3_600_000;

describe('the terminal token map', () => {
  it('maps the token under every key of the ring to the raw id, once per terminal and batch', () => {
    const map = createTokenMap(tokenizer, 100 * HOUR);
    const entries = tokenEntries(map, 'f:', [{ terminal_id: 'T1' }, { terminal_id: 'T1' }, { terminal_id: 'T2' }], 0);
    expect(entries).toEqual([
      ...tokenizer.tokensFor('terminal', 'T1').map((t) => [`f:tok:${t}`, 'T1']),
      ...tokenizer.tokensFor('terminal', 'T2').map((t) => [`f:tok:${t}`, 'T2']),
    ]);
    expect(entries[0]?.[0]).toMatch(/^f:tok:tok_k2_/);
    expect(entries[1]?.[0]).toMatch(/^f:tok:tok_k1_/);
  });

  it('writes a terminal again only after a tenth of the TTL, and never a token', () => {
    const map = createTokenMap(tokenizer, 100 * HOUR);
    expect(tokenEntries(map, 'f:', [{ terminal_id: 'T1' }], 0)).toHaveLength(2);
    expect(tokenEntries(map, 'f:', [{ terminal_id: 'T1' }], 10 * HOUR - 1)).toHaveLength(0);
    expect(tokenEntries(map, 'f:', [{ terminal_id: 'T1' }], 10 * HOUR)).toHaveLength(2);
    expect(tokenEntries(map, 'f:', [{ terminal_id: tokenizer.token('terminal', 'T3') }], 0)).toEqual([]);
  });
});
