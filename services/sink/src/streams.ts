import type { ClickHouseClient, Tokenizer } from '@pipeline/shared';
import { fraudTopics, recsysTopics, type TopicDeclaration } from '@pipeline/topology';
import { decisionRow, insertDecisions } from './tables/decisions.js';
import { insertLabels, labelRow } from './tables/labels.js';
import { enrichedRequestRow, insertEnrichedRequests } from './tables/recsys-enriched-requests.js';
import { insertInteractions, interactionRow } from './tables/recsys-interactions.js';
import { insertRecsysLabels, recsysLabelRow } from './tables/recsys-labels.js';
import { insertRecommendations, recommendationRow } from './tables/recsys-recommendations.js';
import { insertRequests, requestRow } from './tables/recsys-requests.js';
import { insertRecsysScores, recsysScoreRow } from './tables/recsys-scores.js';
import { insertScores, scoreRow } from './tables/scores.js';
import { enrichedRow, insertEnriched } from './tables/transactions-enriched.js';

/**
 * One topic into one table, as a declaration: the topology's topic (its name and value schema), the
 * table, the row builder (throws RowRejectedError for a record that has no row) and the insert.
 * The sink's machinery knows nothing of a use case beyond this list (DESIGN.md, principle 9).
 */
export interface Stream<V = never, Row = unknown> {
  readonly topic: TopicDeclaration;
  readonly table: string;
  row(value: V, tokens: Tokenizer): Row;
  insert(client: ClickHouseClient, rows: Row[]): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of streams of different value and row types
export type AnyStream = Stream<any, any>;

function stream<V, Row>(
  topic: TopicDeclaration,
  table: string,
  row: (value: V, tokens: Tokenizer) => Row,
  insert: (client: ClickHouseClient, rows: Row[]) => Promise<void>,
): Stream<V, Row> {
  return { topic, table, row, insert };
}

/** What each use case stores, by use case. SINK_USE_CASES names the ones a sink consumes. */
export const USE_CASE_STREAMS = {
  fraud: [
    stream(fraudTopics.enriched, 'transactions_enriched', enrichedRow, insertEnriched),
    stream(fraudTopics.scores, 'scores', scoreRow, insertScores),
    stream(fraudTopics.decisions, 'decisions', decisionRow, insertDecisions),
    stream(fraudTopics.labels, 'labels', labelRow, insertLabels),
  ],
  recsys: [
    stream(recsysTopics.interactions, 'recsys_interactions', interactionRow, insertInteractions),
    stream(recsysTopics.requests, 'recsys_requests', requestRow, insertRequests),
    stream(recsysTopics.enrichedRequests, 'recsys_enriched_requests', enrichedRequestRow, insertEnrichedRequests),
    stream(recsysTopics.scores, 'recsys_scores', recsysScoreRow, insertRecsysScores),
    stream(recsysTopics.recommendations, 'recsys_recommendations', recommendationRow, insertRecommendations),
    stream(recsysTopics.labels, 'recsys_labels', recsysLabelRow, insertRecsysLabels),
  ],
} as const satisfies Record<string, readonly AnyStream[]>;

export type SinkUseCase = keyof typeof USE_CASE_STREAMS;
export const SINK_USE_CASES = Object.keys(USE_CASE_STREAMS) as SinkUseCase[];

/** A stream with the topic it is read from in this deployment. */
export interface StoredTopic {
  readonly topic: string;
  readonly stream: AnyStream;
}

/**
 * The topics the sink consumes for `useCases`: each stream's topic under the topology's name, or
 * under `renamed[<topology name>]` (the fraud topics' variables, a test's own topics).
 */
export function storedTopics(
  useCases: readonly SinkUseCase[],
  renamed: Readonly<Record<string, string>> = {},
): StoredTopic[] {
  const stored = [...new Set(useCases)].flatMap((useCase) =>
    USE_CASE_STREAMS[useCase].map((s) => ({ topic: renamed[s.topic.name] ?? s.topic.name, stream: s as AnyStream })),
  );
  const topics = stored.map((s) => s.topic);
  const twice = topics.find((t, i) => topics.indexOf(t) !== i);
  if (twice) throw new Error(`topic ${twice} is stored by two streams`);
  return stored;
}
