import { createHash } from 'node:crypto';
import type { RedisClient } from '@pipeline/shared';
import type { Decision, Transaction } from '@pipeline/topology';
import type { ApiKeys } from './keys.js';

/** What the API answered for an event id: stored once, returned to every repeat. */
export interface Answer {
  decision: Decision;
  /** `pipeline`: the decision engine's decision; `rules_only_fallback`: the API's own, claimed at the deadline. */
  source: 'pipeline' | 'rules_only_fallback';
  /** Whether the deadline passed before the pipeline's decision came. */
  deadline_exceeded: boolean;
  /** For the fallback: whether it saw the event's feature vector (`as_of_event`) or none (`missing`). */
  features: 'as_of_event' | 'missing' | null;
  /** The request that got this answer (its hash): a repeat with another transaction is refused. */
  request_hash: string;
}

export type Begin =
  /** Answered before: return it. */
  | { kind: 'answered'; answer: Answer }
  /** This request took the event id: produce the transaction. */
  | { kind: 'owner' }
  /** The same request is in flight (here or on another instance): wait for its decision, do not produce again. */
  | { kind: 'in_flight' }
  /** The event id was taken by a request with another transaction. */
  | { kind: 'conflict' };

/** The hash of a validated transaction (fields in schema order): what a repeat must match. */
export function requestHash(transaction: Transaction): string {
  return createHash('sha256').update(JSON.stringify(transaction)).digest('base64url');
}

export interface IdempotencyStore {
  begin(transaction: Transaction, hash: string): Promise<Begin>;
  /** Stores the answer unless one is stored already; returns the one stored (the first wins). */
  settle(eventId: string, answer: Answer): Promise<Answer>;
  /** Gives the event id back after a failure before any answer (a retry may produce again). */
  release(eventId: string): Promise<void>;
  /** The stored answer, if any. */
  answered(eventId: string): Promise<Answer | null>;
}

/** The store in Redis: one pipeline of the event id's two keys (one slot) per call, both with the TTL. */
export function createIdempotencyStore(redis: RedisClient, keys: ApiKeys, ttlMs: number): IdempotencyStore {
  return {
    async begin(transaction, hash) {
      const id = transaction.event_id;
      const replies = await redis
        .pipeline()
        .get(keys.answer(id))
        .call('SET', keys.claim(id), hash, 'PX', ttlMs, 'NX', 'GET')
        .exec();
      const [answerReply, claimReply] = (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value as string | null;
      });
      if (answerReply) {
        const answer = JSON.parse(answerReply) as Answer;
        return answer.request_hash === hash ? { kind: 'answered', answer } : { kind: 'conflict' };
      }
      if (claimReply === null || claimReply === undefined) return { kind: 'owner' };
      return claimReply === hash ? { kind: 'in_flight' } : { kind: 'conflict' };
    },
    async settle(eventId, answer) {
      const previous = (await redis.call(
        'SET',
        keys.answer(eventId),
        JSON.stringify(answer),
        'PX',
        ttlMs,
        'NX',
        'GET',
      )) as string | null;
      return previous ? (JSON.parse(previous) as Answer) : answer;
    },
    async release(eventId) {
      await redis.del(keys.claim(eventId));
    },
    async answered(eventId) {
      const stored = await redis.get(keys.answer(eventId));
      return stored ? (JSON.parse(stored) as Answer) : null;
    },
  };
}
