import { perTurn } from '@pipeline/shared';
import type { JoinState } from './state.js';
import type { Assignment, DecisionUseCase } from './use-case.js';

/** An enriched event on its way to a decision. */
export interface PendingEvent<E, S, D, P> {
  event: E;
  assignment: Assignment<S>;
  /** The policy of the event's batch (the rule set, the ranking policy): it chose the variant. */
  policy: P;
  /** `skip`: already decided and acknowledged; `reemit`: decided, maybe not acknowledged. */
  outcome: 'decide' | 'skip' | 'reemit';
  previous: D | null;
  /** When the engine received it (ms). */
  arrived: number;
}

export interface Decider<E, S, D, P> {
  /** Resolves once the event's decision is acknowledged (or there is nothing to emit). */
  decide(pending: PendingEvent<E, S, D, P>, score: S | null): Promise<void>;
}

interface Ready<E, S, D, P> {
  pending: PendingEvent<E, S, D, P>;
  score: S | null;
}

/**
 * Decides events as their pairs complete: those whose score (or deadline) came in the same turn of
 * the event loop are claimed, produced and marked emitted together, one Redis round trip and one
 * produce for all of them, whichever partition or batch they came from.
 */
export function createDecider<E, S, D, P>(deps: {
  useCase: Pick<DecisionUseCase<E, S, D, P>, 'event' | 'decide'>;
  state: JoinState<S, D>;
  /** Produces the decisions with acks. */
  send: (decisions: D[]) => Promise<void>;
  onEmitted: (decision: D, pending: PendingEvent<E, S, D, P>) => void;
  now: () => number;
}): Decider<E, S, D, P> {
  const { state, now, useCase } = deps;

  async function run(batch: Ready<E, S, D, P>[]): Promise<void> {
    // A score may sit in Redis without having woken us: another instance consumes its partition.
    const missed = batch.filter((r) => r.pending.outcome === 'decide' && r.score === null);
    if (missed.length > 0) {
      const again = await state.lookup(missed.map((r) => useCase.event(r.pending.event)));
      missed.forEach((r, i) => {
        r.score = again[i]?.scores.find((s) => r.pending.assignment.matches(s)) ?? null;
      });
    }
    const decidedAt = now();
    const toDecide = batch.filter((r) => r.pending.outcome === 'decide');
    // The event's arrival lookup may turn an item into a re-emit while its claim is awaited; the
    // claim already returns a pending decision found there, so re-emitting it too would send it twice.
    const claiming = new Set(toDecide);
    const claimed = await state.claim(
      toDecide.map(({ pending, score }) =>
        useCase.decide({ event: pending.event, score, policy: pending.policy, now: decidedAt }),
      ),
    );
    const emit: [D, PendingEvent<E, S, D, P>][] = [];
    claimed.forEach((d, i) => {
      if (d) emit.push([d, (toDecide[i] as Ready<E, S, D, P>).pending]);
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

  const decideInTurn = perTurn((batch: Ready<E, S, D, P>[]) => {
    const done = run(batch);
    return batch.map(() => done);
  });

  return {
    decide: (pending, score) => (pending.outcome === 'skip' ? Promise.resolve() : decideInTurn({ pending, score })),
  };
}
