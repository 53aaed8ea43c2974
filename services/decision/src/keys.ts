import { globEscape } from '@pipeline/shared';

/**
 * Every Redis key the engine uses, built here only. `{c:<customer>}` (`{<tag>:<entity>}`: the use
 * case's entity, `u` for a recommendation's user) is a Cluster hash tag: both keys of one event, and
 * all of one entity's, live in one slot, so a pipeline per entity stays on one node.
 */
export interface Keys {
  /** Hash: `<model_name>:<model_version>` → Score JSON, for scores that arrived (possibly before their event). */
  scores(entityId: string, eventId: string): string;
  /** String: `P<decision JSON>` while being emitted, then `E:<path>` once acknowledged by Kafka. */
  decided(entityId: string, eventId: string): string;
}

/** DECISION_REDIS_PREFIX's default. */
export const DEFAULT_PREFIX = 'decision:';

/** `tag`: the hash tag's entity letter; `c` (customer) is the fraud use case's, whose keys erasure finds. */
export function createKeys(prefix = DEFAULT_PREFIX, tag = 'c'): Keys {
  return {
    scores: (entityId, eventId) => `${prefix}{${tag}:${entityId}}:scores:${eventId}`,
    decided: (entityId, eventId) => `${prefix}{${tag}:${entityId}}:decided:${eventId}`,
  };
}

/** The hash tag of each use case's entity: fraud's customer, recommendations' user. */
export const KEY_TAGS = { customer: 'c', user: 'u' } as const;

/** Pattern matching every key of one entity under `prefix` (scores and decided markers): what erasure removes. */
export function entityKeysPattern(prefix: string, tag: string, entityId: string): string {
  return `${globEscape(prefix)}{${tag}:${globEscape(entityId)}}:*`;
}

export function customerKeysPattern(prefix: string, customerId: string): string {
  return entityKeysPattern(prefix, KEY_TAGS.customer, customerId);
}

/** Matches every key `createKeys(prefix)` builds: the Redis ACL pattern of the engine's keys. */
export function keyPattern(prefix = DEFAULT_PREFIX): string {
  return `${prefix}*`;
}
