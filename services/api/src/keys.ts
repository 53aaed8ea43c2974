/**
 * Every Redis key the API uses, built here only. `{e:<event id>}` is a Cluster hash tag: both keys of
 * one event id live in one slot, so one pipeline per request stays on one node. The decision
 * engine's own marker keys come from its keys module (`createKeys` of @pipeline/decision).
 */
export interface ApiKeys {
  /** String: the request hash of the request that first took this event id (SET NX), until its answer. */
  claim(eventId: string): string;
  /** String: the answer given for this event id (JSON), the same to every repeat. */
  answer(eventId: string): string;
}

/** API_REDIS_PREFIX's default. */
export const DEFAULT_PREFIX = 'api:';

export function createApiKeys(prefix = DEFAULT_PREFIX): ApiKeys {
  return {
    claim: (eventId) => `${prefix}{e:${eventId}}:claim`,
    answer: (eventId) => `${prefix}{e:${eventId}}:answer`,
  };
}

/** Matches every key `createApiKeys(prefix)` builds: the Redis ACL pattern of the API's own keys. */
export function keyPattern(prefix = DEFAULT_PREFIX): string {
  return `${prefix}*`;
}
