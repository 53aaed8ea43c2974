import type { FeatureSet } from '@pipeline/feature-sets';
import type { ClickHouseClient } from '@pipeline/shared';
import { RequestError } from '../errors.js';
import { clickhouseRows } from '../reads.js';
import type { ReviewLookup } from '../review/review.js';
import { type RuleHits, ruleHits, ruleHitsSql } from '../rules/hits.js';
import {
  customerDecisionsSql,
  type DayRow,
  decisionByIdSql,
  decisionDaysSql,
  labelsByIdSql,
  mixSql,
  newestEventTimeSql,
  newestPartitionSql,
  queueTransactionsSql,
  rangeEndingAt,
  reviewByIdSql,
  reviewPendingSql,
  reviewQueueSql,
  scoresByIdSql,
  splitDays,
  type TimeRange,
  transactionByIdSql,
} from './queries.js';
import {
  type DecisionMix,
  type DecisionRowJson,
  type Provenance,
  pivotMix,
  provenance,
  type QueueItem,
  type QueueTransaction,
  queueItems,
  type ScoreRowJson,
  type TransactionRowJson,
} from './shape.js';

export interface DecisionStore {
  /** The newest decision's event time (epoch s), null when there is none. */
  newest(): Promise<number | null>;
  mix(hours: number): Promise<DecisionMix | null>;
  event(eventId: string): Promise<Provenance>;
  queue(limit: number): Promise<{ items: QueueItem[]; pending: number; from: number | null; to: number | null }>;
  reviewLookup(eventId: string): Promise<ReviewLookup>;
  /** A customer's newest decisions, found by its tokens (every key of the ring), with their transactions. */
  customer(tokens: readonly string[], limit: number): Promise<(QueueItem & { action: string })[]>;
  /** Rule hits per rule-set version over `hours` of event time ending with the newest decision. */
  ruleHits(hours: number): Promise<{ hits: RuleHits[]; from: number; to: number } | null>;
}

/** The review queue reaches this far back in event time from the newest decision. */
const QUEUE_DAYS = 30;

/** The console's reads of the sink's tables; ClickHouse not answering is an UnavailableError (503). */
export function createDecisionStore(client: ClickHouseClient, featureSet: FeatureSet): DecisionStore {
  const rows = clickhouseRows(client);

  const newest = async (): Promise<number | null> => {
    const [part] = await rows<{ p: string | null }>(newestPartitionSql());
    const partition = Number(part?.p);
    if (!part?.p || !Number.isInteger(partition)) return null;
    const [row] = await rows<{ t: number | string; n: number | string }>(newestEventTimeSql(partition));
    return row && Number(row.n) > 0 ? Number(row.t) : null;
  };

  const days = async (range: Pick<TimeRange, 'from' | 'to'>) => splitDays(await rows<DayRow>(decisionDaysSql()), range);
  const rowsOrNone = async <T>(query: string | null): Promise<T[]> => (query === null ? [] : rows<T>(query));

  const transactions = (ids: readonly string[]) =>
    ids.length === 0 ? Promise.resolve([]) : rows<TransactionRowJson>(transactionByIdSql(ids));

  return {
    newest,
    async mix(hours) {
      const to = await newest();
      if (to === null) return null;
      const range = rangeEndingAt(to, hours);
      return pivotMix(range, await rowsOrNone(mixSql(range, await days(range))));
    },
    async event(eventId) {
      const [decision] = await rows<DecisionRowJson>(decisionByIdSql(eventId));
      if (!decision) throw new RequestError(404, `no decision for event ${eventId}`);
      const [txs, scores, labels, reviews] = await Promise.all([
        transactions([eventId]),
        rows<ScoreRowJson>(scoresByIdSql(eventId)),
        rows<{ is_fraud: number; label_time_ms: string }>(labelsByIdSql(eventId)),
        rows<{ is_fraud: number; reviewer: string; reviewed_at_ms: string }>(reviewByIdSql(eventId)),
      ]);
      return provenance(decision, txs[0], scores, labels, reviews[0], featureSet);
    },
    async queue(limit) {
      const to = await newest();
      if (to === null) return { items: [], pending: 0, from: null, to: null };
      const range = { from: to - QUEUE_DAYS * 86_400, to: to + 1 };
      const [queued, pending] = await Promise.all([
        rows<Parameters<typeof queueItems>[0][number]>(reviewQueueSql(range, limit)),
        rows<{ n: string }>(reviewPendingSql(range)),
      ]);
      const ids = queued.map((q) => q.event_id);
      const txs = ids.length === 0 ? [] : await rows<QueueTransaction>(queueTransactionsSql(ids));
      return { items: queueItems(queued, txs), pending: Number(pending[0]?.n ?? 0), ...range };
    },
    async ruleHits(hours) {
      const to = await newest();
      if (to === null) return null;
      const range = { from: to + 1 - hours * 3_600, to: to + 1 };
      return { hits: ruleHits(await rowsOrNone(ruleHitsSql(range, await days(range)))), ...range };
    },
    async customer(tokens, limit) {
      const found = await rows<Parameters<typeof queueItems>[0][number] & { action: string }>(
        customerDecisionsSql(tokens, limit),
      );
      const ids = found.map((d) => d.event_id);
      const txs = ids.length === 0 ? [] : await rows<QueueTransaction>(queueTransactionsSql(ids));
      return queueItems(found, txs).map((item, i) => ({ ...item, action: found[i]?.action ?? '' }));
    },
    async reviewLookup(eventId) {
      const [[decision], reviews, txs] = await Promise.all([
        rows<DecisionRowJson>(decisionByIdSql(eventId)),
        rows<{ is_fraud: number; reviewer: string; reviewed_at_ms: string }>(reviewByIdSql(eventId)),
        transactions([eventId]),
      ]);
      const review = reviews[0];
      return {
        decision: decision
          ? {
              customerId: decision.customer_id,
              action: decision.action,
              eventTimeMs: Number(decision.event_time) * 1000,
            }
          : null,
        terminalId: txs[0]?.terminal_id ?? null,
        review: review
          ? {
              reviewer: review.reviewer,
              reviewedAtMs: Number(review.reviewed_at_ms),
              isFraud: Boolean(Number(review.is_fraud)),
            }
          : null,
      };
    },
  };
}
