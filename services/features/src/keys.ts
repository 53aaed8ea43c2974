import type { Entity } from '@pipeline/feature-sets';
import { globEscape } from '@pipeline/shared';

/**
 * Every Redis key the service uses. Entity keys share a hash tag ({c:<id>}, {t:<id>}, a declared
 * entity's {<tag>:<id>}; l and q are items' and requests' lookups, p candidate sources', w the groups') so each
 * script touches one Redis Cluster slot. `prefix` separates deployments (and tests) in one Redis.
 * The suffix carries the state layout's version (5): keys of another layout are never read.
 */
export interface EntityKeys {
  /** The entity's windowed state, one cmsgpack string. */
  state: string;
  /**
   * Base of the id buckets: one hash per bucket of event time (`<base><index>`, see the plan's
   * idBucketMs), event id → the aggregates returned for it: idempotency and exact redelivery.
   */
  idBuckets: string;
  /** Fraud-label transaction ids applied (zset, scored by transaction time): terminals. */
  labelIds: string;
}

/** FEATURES_KEY_PREFIX's default. */
export const DEFAULT_PREFIX = 'f:';

const TAG: Record<Entity, string> = { customer: 'c', terminal: 't' };
export const STATE_LAYOUT = 5;

export function entityKeys(prefix: string, entity: Entity, id: string): EntityKeys {
  return taggedKeys(prefix, TAG[entity], id);
}

/** The keys of an entity by its hash tag: a transaction entity's (c, t) or a declared one's. */
export function taggedKeys(prefix: string, tag: string, id: string): EntityKeys {
  const base = `${prefix}{${tag}:${id}}:`;
  return {
    state: `${base}s${STATE_LAYOUT}`,
    idBuckets: `${base}d${STATE_LAYOUT}:`,
    labelIds: `${base}j${STATE_LAYOUT}`,
  };
}

/**
 * What a request's probe of an item carries from the item's latest event (the feature set's
 * `requests.lookedUp`, e.g. its category): a JSON array, expiring like entity state.
 */
export function itemLookupKey(prefix: string, item: string): string {
  return `${prefix}{l:${item}}:k${STATE_LAYOUT}`;
}

/**
 * The vectors a request's candidates got the first time (JSON: per candidate its item, looked-up
 * fields and values), kept for the probe retention: a redelivered request gets them back.
 */
export function requestVectorsKey(prefix: string, requestId: string): string {
  return `${prefix}{q:${requestId}}:v${STATE_LAYOUT}`;
}

/**
 * The candidates a request naming a candidate source got the first time (JSON array of item ids):
 * a redelivered request gets the same candidates, so the same probes and vectors.
 */
export function requestCandidatesKey(prefix: string, requestId: string): string {
  return `${prefix}{q:${requestId}}:c${STATE_LAYOUT}`;
}

/**
 * A candidate source's index of items for one bucket of event time (its window's granularity,
 * by the bucket's start): sorted set, item → the events of its ranking entities applied in that
 * bucket. An upper bound of the exact counts (a redelivery adds again): it only says which items
 * to read exactly. One hash tag per source, so a request's buckets are in one slot.
 */
export function sourceIndexKey(prefix: string, source: string, bucketStart: number): string {
  return `${prefix}{p:${source}}:${bucketStart}:z${STATE_LAYOUT}`;
}

/** Per consumed partition: next offset → watermark as of that offset (so a restart resumes it exactly). */
export function watermarkKey(prefix: string, groupId: string, topic: string, partition: number): string {
  return `${prefix}{w:${groupId}}:${topic}:${partition}`;
}

/**
 * Per labels partition, how far the labels consumer has got (hash: partition → progress), read by
 * the transactions consumer before it applies a batch. Same hash tag as the group's watermarks.
 */
export function labelProgressKey(prefix: string, labelsGroupId: string, topic: string): string {
  return `${prefix}{w:${labelsGroupId}}:progress:${topic}`;
}

/**
 * Where each member of the transactions group stands on its partitions (hash: partition → state,
 * see frontier.ts). Same hash tag as the group's watermarks.
 */
export function frontierKey(prefix: string, groupId: string, topic: string): string {
  return `${prefix}{w:${groupId}}:frontier:${topic}`;
}

/**
 * A terminal's PII token → its raw id (string), so a label naming the terminal by token (the
 * console's) counts for the raw id's state (token-map.ts).
 */
export function terminalTokenKey(prefix: string, token: string): string {
  return `${prefix}tok:${token}`;
}

/** Pattern matching every entity key under a prefix (for tests and memory measurement). */
export function entityPattern(prefix: string, entity: Entity): string {
  return `${prefix}{${TAG[entity]}:*`;
}

/** Pattern matching every key of one entity (its state, id buckets, label ids): what erasure removes. */
export function entityKeysPattern(prefix: string, entity: Entity, id: string): string {
  return `${globEscape(prefix)}{${TAG[entity]}:${globEscape(id)}}:*`;
}

/** Matches every key this module builds under `prefix`: the Redis ACL pattern of the service's keys. */
export function keyPattern(prefix: string): string {
  return `${prefix}*`;
}
