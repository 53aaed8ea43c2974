import type { RedisClient as Redis } from '@pipeline/shared';
import type { LaneState } from './alignment.js';

/**
 * Where each member of the transactions group has got on its partitions (alignment.ts's
 * `LaneState`), shared through one Redis hash: partition → `bound:caughtUpAt:member:publishedAt`.
 * Used only while the group has several members (a member holding every partition neither reads
 * nor writes it).
 */
export interface Frontier {
  /** This member's partitions, after a round is applied. */
  publish(states: readonly LaneState[]): Promise<void>;
  /**
   * The given partitions (the others'), as last published. One with no field, or one older than
   * `staleMs`, is unknown: nothing may pass it until its member publishes (or it is passed over).
   */
  others(partitions: readonly number[]): Promise<LaneState[]>;
}

export function encodeLane(s: LaneState, member: string, at: number): string {
  return `${s.bound}:${s.caughtUpAt}:${member}:${at}`;
}

export function decodeLane(partition: number, text: string): LaneState & { member: string; at: number } {
  const [bound, caughtUpAt, member, at] = text.split(':');
  return { partition, bound: Number(bound), caughtUpAt: Number(caughtUpAt), member: member ?? '', at: Number(at) };
}

export function createFrontier(options: {
  redis: Redis;
  key: string;
  /** This process, unique in the group. */
  member: string;
  /**
   * A field older than this is a member's that is gone: its partitions are reassigned by then (the
   * group's session timeout), and their new owner publishes them.
   */
  staleMs: number;
  now?: () => number;
}): Frontier {
  const { redis, key, member, staleMs, now = Date.now } = options;
  let last = '';
  let publishedAt = 0;
  return {
    async publish(states) {
      if (states.length === 0) return;
      const at = now();
      const fields = Object.fromEntries(states.map((s) => [String(s.partition), encodeLane(s, member, at)]));
      // Unchanged states are written again at most once a second: enough to stay fresh.
      const signature = states.map((s) => `${s.partition}:${s.bound}:${s.caughtUpAt}`).join(',');
      if (signature === last && at - publishedAt < 1000) return;
      last = signature;
      publishedAt = at;
      await redis.hset(key, fields);
    },
    async others(partitions) {
      if (partitions.length === 0) return [];
      const texts = await redis.hmget(key, ...partitions.map(String));
      const fresh = now() - staleMs;
      return partitions.map((partition, i) => {
        const text = texts[i];
        const lane = text ? decodeLane(partition, text) : undefined;
        if (!lane || lane.member === member || !(lane.at >= fresh)) {
          return { partition, bound: Number.NEGATIVE_INFINITY, caughtUpAt: 0 };
        }
        return { partition, bound: lane.bound, caughtUpAt: lane.caughtUpAt };
      });
    },
  };
}
