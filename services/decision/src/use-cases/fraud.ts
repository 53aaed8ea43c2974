import type { Decision, EnrichedTransaction, Score } from '@pipeline/topology';
import { decide, scoreMatches } from '../decide.js';
import { assignVariant } from '../experiment.js';
import { checkEnriched, checkScore, type FeatureSetLike } from '../feature-set.js';
import { KEY_TAGS } from '../keys.js';
import type { RuleSet } from '../rules/types.js';
import type { DecisionUseCase, JoinRefs } from '../use-case.js';

/** The fraud use case's: scores and decisions name their event by `event_id`, keyed by customer. */
export const fraudRefs: JoinRefs<Score, Decision> = {
  score: (s) => ({ entityId: s.customer_id, eventId: s.event_id, model: s.model_name, version: s.model_version }),
  decision: (d) => ({ entityId: d.customer_id, eventId: d.event_id, path: d.path }),
};

export type FraudUseCase = DecisionUseCase<EnrichedTransaction, Score, Decision, RuleSet>;

/** Fraud: an enriched transaction joined with its variant's score, decided by the rule set. */
export function fraudUseCase(rules: { current(): RuleSet }, featureSet: FeatureSetLike): FraudUseCase {
  return {
    name: 'fraud',
    schemas: { enriched: 'fraud/enriched-transaction', score: 'fraud/score', decision: 'fraud/decision' },
    keyTag: KEY_TAGS.customer,
    refs: fraudRefs,
    event: (e) => ({ entityId: e.transaction.customer_id, eventId: e.transaction.event_id }),
    checkEvent: (e) => checkEnriched(e, featureSet),
    checkScore: (s) => checkScore(s, featureSet),
    policy: () => rules.current(),
    assign(event, ruleSet) {
      const variant = assignVariant(ruleSet.experiment, event.transaction.customer_id);
      return { matches: (s) => scoreMatches(variant, s) };
    },
    decide: ({ event, score, policy, now }) =>
      decide({
        ruleSet: policy,
        event,
        score,
        variant: assignVariant(policy.experiment, event.transaction.customer_id),
        now,
      }),
    key: (d) => d.customer_id,
    attributes: (d) => ({ path: d.path, action: d.action, variant: d.experiment_variant }),
  };
}
