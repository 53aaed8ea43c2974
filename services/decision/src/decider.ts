import { perTurn } from '@pipeline/shared';
import type { Decision, EnrichedTransaction, Score } from '@pipeline/topology';
import { decide, scoreMatches } from './decide.js';
import type { RuleSet, Variant } from './rules/types.js';
import type { JoinState } from './state.js';

/** An enriched event on its way to a decision. */
export interface PendingEvent {
  event: EnrichedTransaction;
  variant: Variant;
  /** The rule set of the event's batch: its experiment chose the variant. */
  ruleSet: RuleSet;
  /** `skip`: already decided and acknowledged; `reemit`: decided, maybe not acknowledged. */
  outcome: 'decide' | 'skip' | 'reemit';
  previous: Decision | null;
  /** When the engine received it (ms). */
  arrived: number;
}

export interface Decider {
  /** Resolves once the event's decision is acknowledged (or there is nothing to emit). */
  decide(pending: PendingEvent, score: Score | null): Promise<void>;
}

interface Ready {
  pending: PendingEvent;
  score: Score | null;
}

/**
 * Decides events as their pairs complete: those whose score (or deadline) came in the same turn of
 * the event loop are claimed, produced and marked emitted together, one Redis round trip and one
 * produce for all of them, whichever partition or batch they came from.
 */
export function createDecider(deps: {
  state: JoinState;
  /** Produces the decisions with acks. */
  send: (decisions: Decision[]) => Promise<void>;
  onEmitted: (decision: Decision, pending: PendingEvent) => void;
  now: () => number;
}): Decider {
  const { state, now } = deps;

  async function run(batch: Ready[]): Promise<void> {
    // A score may sit in Redis without having woken us: another instance consumes its partition.
    const missed = batch.filter((r) => r.pending.outcome === 'decide' && r.score === null);
    if (missed.length > 0) {
      const again = await state.lookup(
        missed.map((r) => ({ customerId: r.pending.event.transaction.customer_id, eventId: eventId(r) })),
      );
      missed.forEach((r, i) => {
        r.score = again[i]?.scores.find((s) => scoreMatches(r.pending.variant, s)) ?? null;
      });
    }
    const decidedAt = now();
    const toDecide = batch.filter((r) => r.pending.outcome === 'decide');
    // The event's arrival lookup may turn an item into a re-emit while its claim is awaited; the
    // claim already returns a pending decision found there, so re-emitting it too would send it twice.
    const claiming = new Set(toDecide);
    const claimed = await state.claim(
      toDecide.map(({ pending, score }) =>
        decide({ ruleSet: pending.ruleSet, event: pending.event, score, variant: pending.variant, now: decidedAt }),
      ),
    );
    const emit: [Decision, PendingEvent][] = [];
    claimed.forEach((d, i) => {
      if (d) emit.push([d, (toDecide[i] as Ready).pending]);
    });
    for (const r of batch) {
      if (!claiming.has(r) && r.pending.outcome === 'reemit' && r.pending.previous)
        emit.push([r.pending.previous, r.pending]);
    }
    if (emit.length === 0) return;
    const decisions = emit.map(([d]) => d);
    await deps.send(decisions);
    await state.markEmitted(decisions);
    for (const [d, pending] of emit) deps.onEmitted(d, pending);
  }

  const decideInTurn = perTurn((batch: Ready[]) => {
    const done = run(batch);
    return batch.map(() => done);
  });

  return {
    decide: (pending, score) => (pending.outcome === 'skip' ? Promise.resolve() : decideInTurn({ pending, score })),
  };
}

function eventId(r: Ready): string {
  return r.pending.event.transaction.event_id;
}
