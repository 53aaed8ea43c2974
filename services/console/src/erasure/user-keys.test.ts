import { entity, RECSYS_ENTITIES, recsysFeatureSet } from '@pipeline/feature-sets';
import { requestVectorsKey, taggedKeys } from '@pipeline/features';
import { describe, expect, it } from 'vitest';
import { requestKeys, userEntities, userFeatureKeyPatterns } from './user-keys.js';

/** Redis's glob as a regular expression (`*`, `?` and `\` escapes are all these patterns use). */
function globMatches(pattern: string, key: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') re += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(key);
}

const allKeys = (prefix: string, tag: string, id: string) => {
  const k = taggedKeys(prefix, tag, id);
  return [k.state, `${k.idBuckets}17`, k.labelIds];
};

describe("a recommendation user's feature keys, from the declarations", () => {
  const entities = [...recsysFeatureSet.entities, ...Object.values(RECSYS_ENTITIES)];

  it('takes every entity keyed by user_id, once per tag, and no item entity', () => {
    expect(userEntities(entities).map((e) => e.tag)).toEqual(
      recsysFeatureSet.entities.filter((e) => e.key.includes('user_id')).map((e) => e.tag),
    );
    expect(userEntities(entities).map((e) => e.tag)).toEqual(expect.arrayContaining(['uv', 'uc', 'ucv', 'ucc']));
    expect(userEntities(entities).some((e) => e.tag === 'iv' || e.tag === 'ic')).toBe(false);
  });

  it("matches every key the service keeps for the user's entities, and none of another user's or an item's", () => {
    const patterns = userFeatureKeyPatterns('f:', entities, 'U1');
    expect(patterns).toContain('f:{uv:U1}:*');
    expect(patterns).toContain('f:{ucv:U1|*}:*');
    const matched = (key: string) => patterns.some((p) => globMatches(p, key));
    for (const key of [
      ...allKeys('f:', 'uv', 'U1'),
      ...allKeys('f:', 'uc', 'U1'),
      ...allKeys('f:', 'ucv', 'U1|shoes'),
      ...allKeys('f:', 'ucc', 'U1|-'),
    ]) {
      expect(matched(key), key).toBe(true);
    }
    for (const key of [
      ...allKeys('f:', 'uv', 'U10'),
      ...allKeys('f:', 'ucv', 'U10|shoes'),
      ...allKeys('f:', 'iv', 'U1'),
      ...allKeys('g:', 'uv', 'U1'),
      requestVectorsKey('f:', 'U1'),
    ]) {
      expect(matched(key), key).toBe(false);
    }
  });

  it('covers an entity declared later keyed by user and item, wherever user_id sits in its key', () => {
    const userItem = entity({ name: 'user_item_buys', tag: 'uib', key: ['user_id', 'item_id'] });
    const itemUser = entity({ name: 'item_user_views', tag: 'iuv', key: ['item_id', 'user_id'] });
    expect(userFeatureKeyPatterns('f:', [userItem, itemUser], 'U1')).toEqual(['f:{uib:U1|*}:*', 'f:{iuv:*|U1}:*']);
  });

  it('escapes glob characters of the prefix and the id', () => {
    const [pattern] = userFeatureKeyPatterns('run[1]*:', [RECSYS_ENTITIES.userViews], 'U?*');
    expect(pattern).toBe('run\\[1\\]\\*:{uv:U\\?\\*}:*');
    expect(globMatches(pattern as string, taggedKeys('run[1]*:', 'uv', 'U?*').state)).toBe(true);
    expect(globMatches(pattern as string, taggedKeys('run[1]*:', 'uv', 'Ux1').state)).toBe(false);
  });

  it("finds every per-request key of the user's requests, and no other request's", () => {
    const { pattern, isUsers } = requestKeys('f:', ['r1', 'r2']);
    expect(pattern).toBe('f:{q:*');
    const keys = [requestVectorsKey('f:', 'r1'), requestVectorsKey('f:', 'r2'), 'f:{q:r1}:c5'];
    for (const key of keys) expect(globMatches(pattern, key) && isUsers(key), key).toBe(true);
    for (const key of [
      requestVectorsKey('f:', 'r10'),
      requestVectorsKey('f:', 'r'),
      taggedKeys('f:', 'uv', 'r1').state,
    ]) {
      expect(isUsers(key), key).toBe(false);
    }
  });
});
