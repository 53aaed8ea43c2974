import type { Entity } from '@pipeline/feature-sets';

/**
 * Every Redis key the service uses. Entity keys share a hash tag ({c:<id>} or {t:<id>}) so each
 * script touches one Redis Cluster slot. `prefix` separates deployments (and tests) in one Redis.
 */
export interface EntityKeys {
  buckets: string;
  raw: string;
  terminals: string;
  ids: string;
  outputs: string;
  labels: string;
  labelIds: string;
}

const TAG: Record<Entity, string> = { customer: 'c', terminal: 't' };

export function entityKeys(prefix: string, entity: Entity, id: string): EntityKeys {
  const base = `${prefix}{${TAG[entity]}:${id}}:`;
  return {
    buckets: `${base}b`,
    raw: `${base}r`,
    terminals: `${base}d`,
    ids: `${base}i`,
    outputs: `${base}o`,
    labels: `${base}l`,
    labelIds: `${base}j`,
  };
}

/** Per consumed partition: next offset → watermark as of that offset (so a restart resumes it exactly). */
export function watermarkKey(prefix: string, groupId: string, topic: string, partition: number): string {
  return `${prefix}{w:${groupId}}:${topic}:${partition}`;
}

/** Pattern matching every entity key under a prefix (for tests and memory measurement). */
export function entityPattern(prefix: string, entity: Entity): string {
  return `${prefix}{${TAG[entity]}:*`;
}
