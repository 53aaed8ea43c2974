import { type ConsumerOptions, createScoringConsumer, type Scorer } from './scoring-consumer.js';
import { type RecsysScoringOptions, recsysScoring } from './use-cases/recsys.js';

export type CandidatesScorerOptions = ConsumerOptions & RecsysScoringOptions;

/**
 * The recommendation scorer: enriched requests in (recsys/enriched-request), their scores out
 * (recsys/score); use-cases/recsys.ts on the scoring consumer.
 */
export function createCandidatesScorer(options: CandidatesScorerOptions): Promise<Scorer> {
  return createScoringConsumer({ ...options, useCase: recsysScoring(options) });
}
