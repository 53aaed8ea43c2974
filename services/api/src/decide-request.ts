import { errorMessage } from '@pipeline/shared';
import type { Decision, EnrichedTransaction, Transaction } from '@pipeline/topology';
import type { Fallback } from './fallback.js';
import { type Answer, type IdempotencyStore, requestHash } from './idempotency.js';
import type { Waiters } from './waiters.js';

export interface DecideRequestDeps {
  store: IdempotencyStore;
  waiters: Waiters;
  /** Why the pipeline cannot take a transaction now (Kafka not reachable...), or null when it can. */
  unavailable(): string | null;
  /** Produces the transaction to the transactions topic; resolves once Kafka acknowledged it. */
  produce(transaction: Transaction): Promise<void>;
  /**
   * The decision engine's claim of an event's decision (`JoinState.claim`): the decision the engine
   * emits for the event, `decision` itself if this claim was first, the engine's own if it claimed
   * first, null if it already emitted one.
   */
  claim(decision: Decision): Promise<Decision | null>;
  /** The rules-only decision, on the event's features if they came. */
  fallback(transaction: Transaction, enriched: EnrichedTransaction | null): Fallback;
  produceTimeoutMs: number;
  /** After the deadline, how long to wait for a decision the engine already emitted. */
  emittedGraceMs: number;
  now(): number;
}

export type RequestOutcome =
  | { status: 200; answer: Answer; replay: boolean }
  | { status: 409 | 422 | 503; error: string };

/**
 * One request's decision. The event id is the idempotency key: the first request with it produces
 * the transaction and waits for its decision on the decisions topic until the deadline; a repeat gets
 * the stored answer, or, while the first is in flight, waits for the same decision without producing.
 * At the deadline the rules-only decision is claimed under the decision engine's own marker for the
 * event, so the engine later emits exactly the decision answered here, or, if the engine claimed
 * first, its decision is the one answered: the answer and the decisions topic never disagree.
 */
export async function decideRequest(
  deps: DecideRequestDeps,
  transaction: Transaction,
  deadlineMs: number,
  receivedAt: number,
): Promise<RequestOutcome> {
  const down = deps.unavailable();
  if (down) return { status: 503, error: `pipeline unavailable: ${down}` };
  const id = transaction.event_id;
  const hash = requestHash(transaction);
  try {
    const begin = await deps.store.begin(transaction, hash);
    if (begin.kind === 'answered') return { status: 200, answer: begin.answer, replay: true };
    if (begin.kind === 'conflict') {
      return { status: 422, error: `event_id ${JSON.stringify(id)} was already used for a different transaction` };
    }
    // Waiting starts before the transaction is produced: its decision cannot come before the wait.
    const waiting = deps.waiters.wait(id, receivedAt + deadlineMs - deps.now());
    if (begin.kind === 'owner') {
      try {
        await withTimeout(deps.produce(transaction), deps.produceTimeoutMs);
      } catch (error) {
        await deps.store.release(id).catch(() => {});
        return {
          status: 503,
          error: `pipeline unavailable: Kafka did not take the transaction: ${errorMessage(error)}`,
        };
      }
    }
    const outcome = await waiting;
    let answer: Omit<Answer, 'request_hash'>;
    if (outcome.decision) {
      answer = { decision: outcome.decision, source: 'pipeline', deadline_exceeded: false, features: null };
    } else {
      if (begin.kind === 'in_flight') {
        const stored = await deps.store.answered(id);
        if (stored) return { status: 200, answer: stored, replay: true };
      }
      const fallback = deps.fallback(transaction, outcome.enriched);
      const claimed = await deps.claim(fallback.decision);
      if (claimed === fallback.decision) {
        answer = {
          decision: fallback.decision,
          source: 'rules_only_fallback',
          deadline_exceeded: true,
          features: fallback.features,
        };
      } else {
        // The engine decided first: its decision is on (or on its way to) the decisions topic.
        const decision = claimed ?? (await deps.waiters.wait(id, deps.emittedGraceMs)).decision;
        if (!decision) {
          return {
            status: 503,
            error: `the pipeline decided event ${id} but its decision was not read within ${deps.emittedGraceMs} ms; retry later with the same event_id`,
          };
        }
        answer = { decision, source: 'pipeline', deadline_exceeded: true, features: null };
      }
    }
    const own: Answer = { ...answer, request_hash: hash };
    const settled = await deps.store.settle(id, own);
    return { status: 200, answer: settled, replay: settled !== own };
  } catch (error) {
    return { status: 503, error: `pipeline unavailable: ${errorMessage(error)}` };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not acknowledged within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
