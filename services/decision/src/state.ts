import type { Decision, Score } from '@pipeline/topology';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** What Redis knows of one event: the scores held for it and whether it was decided. */
export interface EventState {
  scores: Score[];
  /** Decided and acknowledged by Kafka: never decide again. */
  emitted: boolean;
  /** Decided but maybe not acknowledged (a crash between claim and ack): re-emit this, unchanged. */
  pending: Decision | null;
}

export interface EventRef {
  customerId: string;
  eventId: string;
}

const PENDING = 'P';
const EMITTED = 'E:';

/**
 * The durable half of the join, one pipeline (one round trip) per call. Scores are held per event
 * with an expiry; decided markers make a decision happen once per event id across restarts,
 * rebalances and instances.
 */
export class JoinState {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttl: { scoresMs: number; decidedMs: number },
  ) {}

  async lookup(events: readonly EventRef[]): Promise<EventState[]> {
    if (events.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const e of events) {
      pipeline.hgetall(this.keys.scores(e.customerId, e.eventId));
      pipeline.get(this.keys.decided(e.customerId, e.eventId));
    }
    const replies = await exec(pipeline);
    return events.map((_, i) => {
      const hash = (replies[2 * i] ?? {}) as Record<string, string>;
      return {
        scores: Object.values(hash).map((json) => JSON.parse(json) as Score),
        ...readDecided(replies[2 * i + 1] as string | null),
      };
    });
  }

  /** Holds scores (also those that came before their event); returns, per score, whether its event was decided already. */
  async holdScores(scores: readonly Score[]): Promise<{ decidedPath: string | null }[]> {
    if (scores.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const s of scores) {
      const key = this.keys.scores(s.customer_id, s.event_id);
      pipeline.hset(key, `${s.model_name}:${s.model_version}`, JSON.stringify(s));
      pipeline.pexpire(key, this.ttl.scoresMs);
      pipeline.get(this.keys.decided(s.customer_id, s.event_id));
    }
    const replies = await exec(pipeline);
    return scores.map((_, i) => {
      const decided = replies[3 * i + 2] as string | null;
      if (decided === null) return { decidedPath: null };
      return { decidedPath: decided.startsWith(EMITTED) ? decided.slice(EMITTED.length) : 'PENDING' };
    });
  }

  /**
   * Claims each decision for its event (SET NX ... GET). Returns what to emit per decision: the new one
   * if the claim won, an earlier pending one if another attempt claimed first but may not have
   * emitted it, or null if the event's decision is already acknowledged.
   */
  async claim(decisions: readonly Decision[]): Promise<(Decision | null)[]> {
    if (decisions.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const d of decisions) {
      pipeline.call('SET', [
        this.keys.decided(d.customer_id, d.event_id),
        PENDING + JSON.stringify(d),
        'PX',
        this.ttl.decidedMs,
        'NX',
        'GET',
      ]);
    }
    const replies = await exec(pipeline);
    return decisions.map((d, i) => {
      const previous = readDecided(replies[i] as string | null);
      if (previous.emitted) return null;
      return previous.pending ?? d;
    });
  }

  async markEmitted(decisions: readonly Decision[]): Promise<void> {
    if (decisions.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const d of decisions) {
      pipeline.set(this.keys.decided(d.customer_id, d.event_id), EMITTED + d.path, 'KEEPTTL');
    }
    await exec(pipeline);
  }
}

function readDecided(value: string | null): { emitted: boolean; pending: Decision | null } {
  if (value === null) return { emitted: false, pending: null };
  if (value.startsWith(PENDING))
    return { emitted: false, pending: JSON.parse(value.slice(PENDING.length)) as Decision };
  return { emitted: true, pending: null };
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
