/** Where an event's keys live: the entity of its hash tag (customer, user) and its id. */
export interface EventRef {
  entityId: string;
  eventId: string;
}

/** How the join machinery finds the event of a score or decision of a use case. */
export interface JoinRefs<S, D> {
  score(score: S): EventRef & { model: string; version: string };
  decision(decision: D): EventRef & { path: string };
}

/** An event's assignment (by its experiment variant, if any): which score it waits for. */
export interface Assignment<S> {
  matches(score: S): boolean;
}

/**
 * A use case of the decision engine, declared: its messages' schemas, how its events and scores are
 * checked and joined, and how a pair (or an event alone, after the budget) becomes a decision. The
 * engine's join, budget, dedup and emit machinery is the same for every use case (DESIGN.md,
 * principle 9); `P` is the policy in force (the fraud rule set, the ranking policy), read once per batch.
 */
export interface DecisionUseCase<E, S, D, P> {
  /** Names the use case in logs and metrics. */
  name: string;
  /** Schema references (`schemaFor`) of its enriched events, scores and decisions. */
  schemas: { enriched: string; score: string; decision: string };
  refs: JoinRefs<S, D>;
  /** The Redis hash tag's entity letter (keys.ts): `c` (customer), `u` (user). */
  keyTag: string;
  event(event: E): EventRef;
  /** The error that dead-letters an event or a score, or undefined. */
  checkEvent(event: E): Error | undefined;
  checkScore(score: S): Error | undefined;
  /** The error that dead-letters a score that cannot be joined with this event (it would never match). */
  checkPair?(event: E, score: S): Error | undefined;
  policy(): P;
  assign(event: E, policy: P): Assignment<S>;
  /** The decision: of the pair, or of the event alone (`score` null, the fallback). Assigns as `assign` does. */
  decide(input: { event: E; score: S | null; policy: P; now: number }): D;
  /** The decision's Kafka key. */
  key(decision: D): string;
  /** Attributes of the `decision_decisions` metric: `path` and `variant`, and any the use case adds. */
  attributes(decision: D): { path: string; variant: string } & Record<string, string>;
}
