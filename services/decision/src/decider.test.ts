import type { Decision, EnrichedTransaction, Score } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { createDecider, type PendingEvent } from './decider.js';
import { parseRuleSet } from './rules/load.js';
import type { RuleSet, Variant } from './rules/types.js';
import type { JoinState } from './state.js';
import { enriched, tinyFeatureSet } from './testing.js';
import { fraudUseCase } from './use-cases/fraud.js';

const control: Variant = { name: 'control', share: 1, model: null, thresholds: null };
const ruleSet = parseRuleSet(
  `version: "v1"
score_bands:
  - { name: low, min: 0 }
thresholds:
  default: { decline: 0.9, review: 0.6 }
rules: []
`,
  tinyFeatureSet,
);

type Pending = PendingEvent<EnrichedTransaction, Score, Decision, RuleSet>;
const useCase = fraudUseCase({ current: () => ruleSet }, tinyFeatureSet);
const assignment = useCase.assign(enriched(), ruleSet);

describe('the decider', () => {
  it('emits a pending decision found by its claim once, even if the arrival lookup turns the event into a re-emit meanwhile', async () => {
    const event = enriched({ event_id: 'e1' });
    // Another attempt (the decision API's fallback, an instance that crashed) claimed the event first.
    const earlier = decide({ ruleSet, event, score: null, variant: control, now: 5 });
    const pending: Pending = { event, assignment, policy: ruleSet, outcome: 'decide', previous: null, arrived: 1 };
    const sent: Decision[][] = [];
    const state = {
      lookup: async () => [{ scores: [], emitted: false, pending: null }],
      // While the claim is in flight, the event's arrival lookup finds the pending marker.
      claim: async (decisions: readonly Decision[]) => {
        pending.outcome = 'reemit';
        pending.previous = earlier;
        return decisions.map(() => earlier);
      },
      markEmitted: async () => {},
    } as unknown as JoinState<Score, Decision>;
    const decider = createDecider({
      useCase,
      state,
      send: async (decisions) => {
        sent.push(decisions);
      },
      onEmitted: () => {},
      now: () => 10,
    });
    await decider.decide(pending, null);
    expect(sent).toEqual([[earlier]]);
  });

  it('re-emits an event found pending at arrival, without claiming it again', async () => {
    const event = enriched({ event_id: 'e2' });
    const earlier = decide({ ruleSet, event, score: null, variant: control, now: 5 });
    const pending: Pending = {
      event,
      assignment,
      policy: ruleSet,
      outcome: 'reemit',
      previous: earlier,
      arrived: 1,
    };
    const sent: Decision[][] = [];
    let claims = 0;
    const state = {
      lookup: async () => [],
      claim: async (decisions: readonly Decision[]) => {
        claims += decisions.length;
        return [...decisions];
      },
      markEmitted: async () => {},
    } as unknown as JoinState<Score, Decision>;
    const decider = createDecider({
      useCase,
      state,
      send: async (d) => void sent.push(d),
      onEmitted: () => {},
      now: () => 10,
    });
    await decider.decide(pending, null);
    expect(sent).toEqual([[earlier]]);
    expect(claims).toBe(0);
  });
});
