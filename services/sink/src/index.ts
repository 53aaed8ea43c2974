/**
 * What other packages use of the sink: the row types of the tables it writes, so a reader (the
 * console) derives what it reads from them instead of copying them. Types only: importing it loads
 * nothing.
 */
export type { DeadLetterRow } from './tables/dead-letters.js';
export type { DecisionRow } from './tables/decisions.js';
export type { LabelRow } from './tables/labels.js';
export type { EnrichedRequestRow } from './tables/recsys-enriched-requests.js';
export type { InteractionRow } from './tables/recsys-interactions.js';
export type { RecsysLabelRow } from './tables/recsys-labels.js';
export type { RecommendationRow } from './tables/recsys-recommendations.js';
export type { RequestRow } from './tables/recsys-requests.js';
export type { RecsysScoreRow } from './tables/recsys-scores.js';
export type { ScoreRow } from './tables/scores.js';
export type { JsonRow } from './tables/table.js';
export type { EnrichedRow } from './tables/transactions-enriched.js';
