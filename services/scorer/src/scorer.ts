import { type ConsumerOptions, createScoringConsumer, type Scorer } from './scoring-consumer.js';
import { type FraudScoringOptions, fraudScoring } from './use-cases/fraud.js';

export type { Scorer } from './scoring-consumer.js';

export type ScorerOptions = ConsumerOptions & FraudScoringOptions;

/** The fraud scorer: enriched transactions in, Scores out (use-cases/fraud.ts on the scoring consumer). */
export function createScorer(options: ScorerOptions): Promise<Scorer> {
  return createScoringConsumer({ ...options, useCase: fraudScoring(options) });
}
