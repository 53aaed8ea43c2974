import { metrics } from '@opentelemetry/api';
import {
  type AvroSerde,
  type BatchHandler,
  type ConsumerTuning,
  carriedHeaders,
  createBatchConsumer,
  createProducer,
  type IHeaders,
  type Kafka,
  type Logger,
  type RedisClient,
  readIngestTime,
} from '@pipeline/shared';
import { createTopicDeadLetters, schemaFor, valueSubject } from '@pipeline/topology';
import { createDecider, type PendingEvent } from './decider.js';
import { JoinTable } from './join.js';
import { createKeys } from './keys.js';
import { JoinState } from './state.js';
import type { DecisionUseCase } from './use-case.js';

const LATE_LOG_INTERVAL_MS = 10_000;

export interface EngineOptions<E, S, D, P> {
  kafka: Kafka;
  serde: AvroSerde;
  redis: RedisClient;
  logger: Logger;
  service: string;
  /** Group of the enriched consumer; scores are read by `<groupId>.scores`. */
  groupId: string;
  topics: { enriched: string; scores: string; decisions: string; deadLetters: string };
  /** What is decided, and how (use-cases/): the machinery below is the same for every use case. */
  useCase: DecisionUseCase<E, S, D, P>;
  /** How long an enriched event waits for its score before rules alone decide. */
  budgetMs: number;
  /**
   * An event already `afterMs` old when it arrives (its ingest time, stamped by the feature service)
   * comes from a pipeline catching up after an outage or a restart: its score is most likely in the
   * backlog behind it, and its decision is late anyway, so it waits up to `budgetMs` for it instead.
   */
  catchUp?: { afterMs: number; budgetMs: number };
  keyPrefix: string;
  ttl: { scoresMs: number; decidedMs: number };
  fromBeginning?: boolean;
  tuning?: ConsumerTuning;
  /** Either consumer stopped for good: the service should exit. */
  onCrash?: (error: Error) => void;
  now?: () => number;
}

export interface DecisionEngine {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * Joins enriched events with their scores and emits one decision per event, for one use case.
 *
 * Two consumers, because kafkajs fetches the next batch only when every batch of the last fetch is
 * handled. Neither waits on its fetch: the enriched handler registers each event's wait and returns
 * at once with a `settled` promise, and an event is decided by whichever side completes its pair —
 * the score's arrival, a score already held in Redis, or the budget's deadline (rules alone). The
 * consumer loop commits an enriched batch only once all its decisions are acknowledged, so a crash
 * never skips an undecided event.
 */
export async function createDecisionEngine<E, S, D, P>(options: EngineOptions<E, S, D, P>): Promise<DecisionEngine> {
  const { kafka, serde, redis, logger, topics, useCase, budgetMs, now = Date.now } = options;
  const catchUp = options.catchUp ?? { afterMs: Number.POSITIVE_INFINITY, budgetMs };
  const meter = metrics.getMeter('pipeline.decision');
  const decisionsCounter = meter.createCounter('decision_decisions', { description: 'Decisions emitted' });
  const lateScores = meter.createCounter('decision_late_scores', {
    description: 'Scores that arrived after their event was decided on rules alone',
  });
  const catchUpWaits = meter.createCounter('decision_catch_up_waits', {
    description: 'Events that arrived already late (the pipeline catching up) and waited the catch-up budget',
  });
  const latency = meter.createHistogram('decision_latency', {
    unit: 'ms',
    description: 'Enriched event arrival to decision acknowledged',
  });

  const producer = createProducer(kafka);
  const decisionEncoder = await serde.encoder<D>(
    valueSubject(topics.decisions),
    schemaFor(useCase.schemas.decision).type,
  );
  const deadLetters = await createTopicDeadLetters({
    producer,
    serde,
    topic: topics.deadLetters,
    service: options.service,
  });
  const scoreEncoder = useCase.checkPair
    ? await serde.encoder<S>(valueSubject(topics.scores), schemaFor(useCase.schemas.score).type)
    : undefined;
  const heldRejected = ({ score, error }: { score: S; error: Error }) => {
    const ref = useCase.refs.score(score);
    return {
      topic: topics.scores,
      partition: -1,
      message: { key: Buffer.from(ref.entityId), value: scoreEncoder?.encode(score) ?? null, offset: '-1' },
      error,
    };
  };
  const join = new JoinTable<S>((s) => useCase.refs.score(s).eventId);
  const state = new JoinState<S, D>(redis, createKeys(options.keyPrefix, useCase.keyTag), options.ttl, useCase.refs);
  const headers = new Map<string, IHeaders | undefined>();
  /** The events waiting here, by id: a score that cannot join its event is dead-lettered (`checkPair`). */
  const waiting = new Map<string, E>();
  const late: { count: number; example?: Record<string, string>; loggedAt: number } = { count: 0, loggedAt: 0 };
  /** Per waiting event, the promise of its decision acknowledged. */
  const completions = new Map<string, Promise<void>>();
  const decider = createDecider<E, S, D, P>({
    useCase,
    state,
    now,
    send: async (decisions) => {
      await producer.send({
        topic: topics.decisions,
        acks: -1,
        messages: decisions.map((d) => ({
          key: useCase.key(d),
          value: decisionEncoder.encode(d),
          headers: headers.get(useCase.refs.decision(d).eventId),
        })),
      });
    },
    onEmitted: (d, pending) => {
      const attributes = useCase.attributes(d);
      decisionsCounter.add(1, { ...attributes, use_case: useCase.name });
      latency.record(now() - pending.arrived, { path: attributes.path, use_case: useCase.name });
    },
  });

  const handleEnriched: BatchHandler<E> = async (records) => {
    const arrived = now();
    // One policy per batch: its experiment says which score to wait for, its rules decide.
    const policy = useCase.policy();
    const rejected: { record: (typeof records)[number]; error: unknown }[] = [];
    const items: PendingEvent<E, S, D, P>[] = [];
    const decided: Promise<void>[] = [];
    const seen = new Set<string>();
    for (const record of records) {
      const error = useCase.checkEvent(record.value);
      if (error) {
        rejected.push({ record, error });
        continue;
      }
      const event = record.value;
      const { eventId } = useCase.event(event);
      // The same event twice in one batch (a producer retry) is decided once.
      if (seen.has(eventId)) continue;
      seen.add(eventId);
      headers.set(eventId, carriedHeaders(record.headers));
      waiting.set(eventId, event);
      const assignment = useCase.assign(event, policy);
      const item: PendingEvent<E, S, D, P> = { event, assignment, policy, outcome: 'decide', previous: null, arrived };
      const ingested = readIngestTime(record.headers);
      const wait = ingested !== undefined && arrived - ingested > catchUp.afterMs ? catchUp.budgetMs : budgetMs;
      if (wait !== budgetMs) catchUpWaits.add(1);
      items.push(item);
      // Wait before the lookup: a score landing in between still wakes this waiter, and its batch
      // finds this event's decision to wait for. Each event is decided as soon as its own pair
      // completes, not when the batch's last one does.
      const done = join
        .wait(eventId, assignment.matches, arrived + wait, wait)
        .then((score) => decider.decide(item, score))
        .finally(() => {
          if (completions.get(eventId) !== done) return;
          headers.delete(eventId);
          waiting.delete(eventId);
          completions.delete(eventId);
        });
      // Observed here too: if this handler fails before returning `settled`, nothing else would.
      done.catch(() => {});
      completions.set(eventId, done);
      decided.push(done);
    }

    const known = await state.lookup(items.map((it) => useCase.event(it.event)));
    const unfit: { score: S; error: Error }[] = [];
    items.forEach((item, i) => {
      const k = known[i];
      const { eventId } = useCase.event(item.event);
      if (k?.emitted || k?.pending) {
        item.outcome = k.emitted ? 'skip' : 'reemit';
        item.previous = k.pending;
        join.settle(eventId, null);
        return;
      }
      const held = k?.scores.find((s) => item.assignment.matches(s));
      if (held) join.settle(eventId, held);
      for (const s of k?.scores ?? []) {
        const error = useCase.checkPair?.(item.event, s);
        if (error) unfit.push({ score: s, error });
      }
    });
    const skipped = items.filter((it) => it.outcome !== 'decide').length;
    if (skipped > 0) logger.info({ skipped }, 'events already decided: not decided again');
    // Scores that came before their event and cannot join it: dead-lettered from what Redis held
    // (their offset is gone with their committed batch).
    if (unfit.length > 0) await deadLetters.publish(unfit.map(heldRejected));

    return { rejected, settled: Promise.all(decided).then(() => {}) };
  };

  const handleScores: BatchHandler<S> = async (records) => {
    const rejected: { record: (typeof records)[number]; error: unknown }[] = [];
    const good: S[] = [];
    for (const record of records) {
      const score = record.value;
      // A score that cannot join its event waiting here (e.g. another candidate count) never matches it.
      const event = waiting.get(useCase.refs.score(score).eventId);
      const error = useCase.checkScore(score) ?? (event && useCase.checkPair?.(event, score));
      if (error) rejected.push({ record, error });
      else good.push(score);
    }
    // A score an event here waits for decides it at once; the batch is committed only once those
    // decisions are acknowledged (`settled`), so a crash before then consumes the score again.
    const decisions: Promise<void>[] = [];
    const wake = (score: S) => {
      if (!join.offer(score)) return false;
      decisions.push(completions.get(useCase.refs.score(score).eventId) ?? Promise.resolve());
      return true;
    };
    // The others (event not here yet, waiting on another instance, a shadow's) are held in Redis
    // before the commit, for the lookup their event makes.
    const held = good.filter((score) => !wake(score));
    const decided = await state.holdScores(held);
    held.forEach((score, i) => {
      const path = decided[i]?.decidedPath ?? null;
      if (path === null) {
        // Its event may have started waiting during the round trip.
        wake(score);
      } else if (path !== 'MODEL_AND_RULES') {
        const ref = useCase.refs.score(score);
        lateScores.add(1, { model: ref.model });
        late.count += 1;
        late.example ??= { event_id: ref.eventId, model: `${ref.model} ${ref.version}`, decided: path };
      }
    });
    // One line per interval, not per score: under overload every score may be late.
    if (late.count > 0 && now() - late.loggedAt >= LATE_LOG_INTERVAL_MS) {
      logger.info(
        { lateScores: late.count, example: late.example },
        'late scores: events already decided on rules alone; no second decision',
      );
      late.count = 0;
      late.example = undefined;
      late.loggedAt = now();
    }
    return { rejected, ...(decisions.length > 0 ? { settled: Promise.all(decisions).then(() => {}) } : {}) };
  };

  const consumerBase = {
    kafka,
    deadLetters,
    logger,
    fromBeginning: options.fromBeginning ?? false,
    ...options.tuning,
    onCrash: options.onCrash,
  };
  const enrichedConsumer = createBatchConsumer<E>({
    ...consumerBase,
    groupId: options.groupId,
    decoders: { [topics.enriched]: serde.decoder<E>(schemaFor(useCase.schemas.enriched).type) },
    handler: handleEnriched,
    partitionsConsumedConcurrently: 6,
  });
  const scoresConsumer = createBatchConsumer<S>({
    ...consumerBase,
    groupId: `${options.groupId}.scores`,
    decoders: { [topics.scores]: serde.decoder<S>(schemaFor(useCase.schemas.score).type) },
    handler: handleScores,
    partitionsConsumedConcurrently: 6,
  });

  let ticker: NodeJS.Timeout | undefined;
  let running = false;
  return {
    get running() {
      return running && enrichedConsumer.consuming && scoresConsumer.consuming;
    },
    async start() {
      await producer.connect();
      // A deadline queue checked often, instead of a timer per event.
      ticker = setInterval(() => join.expire(now()), Math.max(1, Math.min(10, Math.floor(budgetMs / 5))));
      await scoresConsumer.start();
      await enrichedConsumer.start();
      running = true;
    },
    async stop() {
      running = false;
      // Enriched first: its in-flight batch still gets scores (or its deadline) and emits.
      await enrichedConsumer.stop();
      await scoresConsumer.stop();
      clearInterval(ticker);
      join.expire(Number.POSITIVE_INFINITY);
      await producer.disconnect();
    },
  };
}
