import type { EntityDecl } from '@pipeline/feature-sets';
import { requestVectorsKey, taggedKeys } from '@pipeline/features';
import { globEscape } from '@pipeline/shared';

/**
 * What erasing a recommendation user removes from the feature service's Redis, derived from the
 * feature-set declarations (every entity whose key holds `user_id`) and the service's keys module
 * (`taggedKeys`, `requestVectorsKey`), never from a hand-kept list of tags. Pure functions.
 */

/** The event field a declared entity is keyed by when it is (partly) the user's. */
export const USER_FIELD = 'user_id';

/** The declared entities keyed (alone or with other fields) by the user, one per tag. */
export function userEntities(entities: readonly EntityDecl[]): EntityDecl[] {
  const byTag = new Map<string, EntityDecl>();
  for (const e of entities) if (e.key.includes(USER_FIELD) && !byTag.has(e.tag)) byTag.set(e.tag, e);
  return [...byTag.values()];
}

/**
 * One SCAN pattern per user entity, matching all its keys for the user: `{uv:U1}:*` for the user
 * alone, `{ucv:U1|*}:*` for user × category (any category: ids never hold `|`, so `*` stays in the
 * other fields).
 */
export function userFeatureKeyPatterns(prefix: string, entities: readonly EntityDecl[], userId: string): string[] {
  return userEntities(entities).map((e) =>
    taggedPattern(prefix, e.tag, e.key.map((field) => (field === USER_FIELD ? globEscape(userId) : '*')).join('|')),
  );
}

const MARKER = '\u0000';

/** The base every key of `taggedKeys` shares (`<prefix>{<tag>:<id>}:`), as a glob with `idGlob` for the id. */
function taggedPattern(prefix: string, tag: string, idGlob: string): string {
  const base = commonPrefix(Object.values(taggedKeys(prefix, tag, MARKER)));
  const [before = '', after = ''] = base.split(MARKER);
  return `${globEscape(before)}${idGlob}${globEscape(after)}*`;
}

function commonPrefix(keys: readonly string[]): string {
  let end = 0;
  const first = keys[0] ?? '';
  while (end < first.length && keys.every((k) => k[end] === first[end])) end++;
  return first.slice(0, end);
}

/**
 * The per-request keys (`{q:<request id>}:…`: the candidates' kept vectors and categories, and whatever else
 * the service keeps per request for redeliveries) of the user's requests: one SCAN pattern over every
 * request's keys, and the filter keeping the user's (request ids never hold braces).
 */
export function requestKeys(prefix: string, requestIds: readonly string[]) {
  const [before = ''] = requestVectorsKey(prefix, MARKER).split(MARKER);
  const ids = new Set(requestIds);
  return {
    pattern: `${globEscape(before)}*`,
    isUsers: (key: string) => {
      if (!key.startsWith(before)) return false;
      const end = key.indexOf('}', before.length);
      return end > before.length && ids.has(key.slice(before.length, end));
    },
  };
}
