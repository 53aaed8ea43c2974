import { execPipelined, type KeyedCommand, type RedisClient } from '@pipeline/shared';
import type { Keys } from './keys.js';
import type { EventRef, JoinRefs } from './use-case.js';

/** What Redis knows of one event: the scores held for it and whether it was decided. */
export interface EventState<S, D> {
  scores: S[];
  /** Decided and acknowledged by Kafka: never decide again. */
  emitted: boolean;
  /** Decided but maybe not acknowledged (a crash between claim and ack): re-emit this, unchanged. */
  pending: D | null;
}

export type { EventRef };

const PENDING = 'P';
const EMITTED = 'E:';

/**
 * The durable half of the join, one round trip per call: one pipeline on a single server, one per
 * node in a Redis Cluster, sent together (`execPipelined`; every key of an event is in its
 * entity's slot). Scores are held per event with an expiry; decided markers make a decision
 * happen once per event id across restarts, rebalances and instances.
 */
export class JoinState<S, D> {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly ttl: { scoresMs: number; decidedMs: number },
    /** How a score or decision names its event: the use case's. */
    private readonly refs: JoinRefs<S, D>,
  ) {}

  async lookup(events: readonly EventRef[]): Promise<EventState<S, D>[]> {
    if (events.length === 0) return [];
    const commands: KeyedCommand[] = [];
    for (const e of events) {
      const scores = this.keys.scores(e.entityId, e.eventId);
      const decided = this.keys.decided(e.entityId, e.eventId);
      commands.push({ key: scores, queue: (p) => p.hgetall(scores) }, { key: decided, queue: (p) => p.get(decided) });
    }
    const replies = await execPipelined(this.redis, commands);
    return events.map((_, i) => {
      const hash = (replies[2 * i] ?? {}) as Record<string, string>;
      return {
        scores: Object.values(hash).map((json) => JSON.parse(json) as S),
        ...readDecided<D>(replies[2 * i + 1] as string | null),
      };
    });
  }

  /** Holds scores (also those that came before their event); returns, per score, whether its event was decided already. */
  async holdScores(scores: readonly S[]): Promise<{ decidedPath: string | null }[]> {
    if (scores.length === 0) return [];
    const commands: KeyedCommand[] = [];
    for (const s of scores) {
      const ref = this.refs.score(s);
      const key = this.keys.scores(ref.entityId, ref.eventId);
      const decided = this.keys.decided(ref.entityId, ref.eventId);
      commands.push(
        { key, queue: (p) => p.hset(key, `${ref.model}:${ref.version}`, JSON.stringify(s)) },
        { key, queue: (p) => p.pexpire(key, this.ttl.scoresMs) },
        { key: decided, queue: (p) => p.get(decided) },
      );
    }
    const replies = await execPipelined(this.redis, commands);
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
  async claim(decisions: readonly D[]): Promise<(D | null)[]> {
    if (decisions.length === 0) return [];
    const replies = await execPipelined(
      this.redis,
      decisions.map((d) => {
        const ref = this.refs.decision(d);
        const key = this.keys.decided(ref.entityId, ref.eventId);
        return {
          key,
          queue: (p) => p.call('SET', [key, PENDING + JSON.stringify(d), 'PX', this.ttl.decidedMs, 'NX', 'GET']),
        };
      }),
    );
    return decisions.map((d, i) => {
      const previous = readDecided<D>(replies[i] as string | null);
      if (previous.emitted) return null;
      return previous.pending ?? d;
    });
  }

  async markEmitted(decisions: readonly D[]): Promise<void> {
    if (decisions.length === 0) return;
    await execPipelined(
      this.redis,
      decisions.map((d) => {
        const ref = this.refs.decision(d);
        const key = this.keys.decided(ref.entityId, ref.eventId);
        return { key, queue: (p) => p.set(key, EMITTED + ref.path, 'KEEPTTL') };
      }),
    );
  }
}

function readDecided<D>(value: string | null): { emitted: boolean; pending: D | null } {
  if (value === null) return { emitted: false, pending: null };
  if (value.startsWith(PENDING)) return { emitted: false, pending: JSON.parse(value.slice(PENDING.length)) as D };
  return { emitted: true, pending: null };
}
