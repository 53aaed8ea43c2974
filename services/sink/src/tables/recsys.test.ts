import { createTokenizer, parseKeyRing } from '@pipeline/shared';
import type {
  EnrichedRequest,
  Interaction,
  Recommendation,
  RecommendationLabel,
  RecommendationRequest,
  RecommendationScores,
} from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { RowRejectedError } from '../errors.js';
import { enrichedRequestRow, enrichedRequestsTable } from './recsys-enriched-requests.js';
import { interactionRow } from './recsys-interactions.js';
import { recsysLabelRow } from './recsys-labels.js';
import { recommendationRow, recommendationsTable } from './recsys-recommendations.js';
import { requestRow } from './recsys-requests.js';
import { recsysScoreRow } from './recsys-scores.js';
import { insertSql } from './table.js';

const tokens = createTokenizer(parseKeyRing(`k1:${'x'.repeat(32)}`));
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0, 250);
const user = tokens.token('user', 'U1');

const interaction: Interaction = {
  event_id: 'i1',
  event_time: t0,
  user_id: 'U1',
  item_id: 'I7',
  category: 'books',
  type: 'CLICK',
  recommendation_id: 'r1',
  position: 2,
  price_minor: null,
};
const request: RecommendationRequest = {
  request_id: 'r1',
  event_time: t0,
  user_id: 'U1',
  context: { surface: 'home', device: null, current_item_id: 'I3' },
  candidate_item_ids: ['I7', 'I8', 'I9'],
  candidate_source: null,
  k: 2,
};
const enriched: EnrichedRequest = {
  request,
  features: {
    feature_set: 'recsys_core',
    version: 1,
    candidates: [
      { item_id: 'I7', category: 'books', values: [1, Number.NaN] },
      { item_id: 'I8', category: '-', values: [0, 2.5] },
      { item_id: 'I9', category: 'toys', values: [3, 0] },
    ],
  },
  computed_at: t0 + 5,
};
const scores: RecommendationScores = {
  request_id: 'r1',
  user_id: 'U1',
  event_time: t0,
  model_name: 'recsys_rank',
  model_version: '1',
  feature_set_version: 1,
  scores: [0.2, 0.7, 0.1],
  shadow: false,
  latency_ms: 0.8,
  scored_at: t0 + 12,
};
const recommendation: Recommendation = {
  request_id: 'r1',
  user_id: 'U1',
  event_time: t0,
  items: [
    { item_id: 'I8', position: 0, score: 0.7, reason_codes: ['MODEL'] },
    { item_id: 'I9', position: 1, score: null, reason_codes: ['EXPLORATION', "it's"] },
  ],
  path: 'MODEL_AND_RULES',
  rule_set_version: 'recsys-1',
  model_name: 'recsys_rank',
  model_version: '1',
  feature_set_version: 1,
  experiment_variant: 'control',
  decided_at: t0 + 20,
};
const label: RecommendationLabel = {
  recommendation_id: 'r1',
  user_id: 'U1',
  item_id: 'I9',
  position: 1,
  outcome: 'CLICK',
  interaction_id: 'i2',
  recommendation_time: t0,
  label_time: t0 + 60_000,
};

describe('recommendation rows from records', () => {
  it('keep every field, times as DateTime seconds beside the milliseconds, the user as a token', () => {
    expect(interactionRow(interaction, tokens)).toEqual({
      event_id: 'i1',
      event_time: Math.floor(t0 / 1000),
      event_time_ms: t0,
      user_id: user,
      item_id: 'I7',
      category: 'books',
      type: 'CLICK',
      recommendation_id: 'r1',
      position: 2,
      price_minor: null,
    });
    expect(requestRow(request, tokens)).toEqual({
      request_id: 'r1',
      event_time: Math.floor(t0 / 1000),
      event_time_ms: t0,
      user_id: user,
      surface: 'home',
      device: null,
      current_item_id: 'I3',
      candidate_item_ids: ['I7', 'I8', 'I9'],
      candidate_source: null,
      k: 2,
    });
    expect(recsysScoreRow(scores, tokens)).toMatchObject({
      user_id: user,
      scores: [0.2, 0.7, 0.1],
      scored_at: Math.floor((t0 + 12) / 1000),
      scored_at_ms: t0 + 12,
    });
    expect(recsysLabelRow(label, tokens)).toEqual({
      interaction_id: 'i2',
      recommendation_id: 'r1',
      user_id: user,
      item_id: 'I9',
      position: 1,
      outcome: 'CLICK',
      recommendation_time: Math.floor(t0 / 1000),
      recommendation_time_ms: t0,
      label_time: Math.floor((t0 + 60_000) / 1000),
      label_time_ms: t0 + 60_000,
    });
  });

  it('split a ranked list into parallel arrays in list order, a rules-only item without a score', () => {
    const row = recommendationRow(recommendation, tokens);
    expect(row).toMatchObject({
      user_id: user,
      item_ids: ['I8', 'I9'],
      item_scores: [0.7, null],
      item_reason_codes: [['MODEL'], ['EXPLORATION', "it's"]],
      decided_at_ms: t0 + 20,
    });
    expect(insertSql(recommendationsTable, [row])).toContain(
      "['I8', 'I9'], [0.7, NULL], [['MODEL'], ['EXPLORATION', 'it\\'s']]",
    );
  });

  it('log an enriched request as parallel arrays in candidate order, NaN kept', () => {
    const row = enrichedRequestRow(enriched, tokens);
    expect(row).toEqual({
      request_id: 'r1',
      event_time: Math.floor(t0 / 1000),
      user_id: user,
      feature_set: 'recsys_core',
      feature_set_version: 1,
      candidate_item_ids: ['I7', 'I8', 'I9'],
      candidate_categories: ['books', '-', 'toys'],
      feature_values: [
        [1, Number.NaN],
        [0, 2.5],
        [3, 0],
      ],
      computed_at: Math.floor((t0 + 5) / 1000),
      computed_at_ms: t0 + 5,
    });
    expect(insertSql(enrichedRequestsTable, [row])).toContain('[[1, nan], [0, 2.5], [3, 0]]');
    expect(() =>
      enrichedRequestRow({ ...enriched, features: { ...enriched.features, candidates: [] } }, tokens),
    ).toThrow(RowRejectedError);
  });

  it('never hold the raw user id; item ids are catalogue data and stay as they are', () => {
    for (const row of [
      interactionRow(interaction, tokens),
      requestRow(request, tokens),
      enrichedRequestRow(enriched, tokens),
      recsysScoreRow(scores, tokens),
      recommendationRow(recommendation, tokens),
      recsysLabelRow(label, tokens),
    ]) {
      expect(row.user_id).toBe(user);
      expect(JSON.stringify(row)).not.toContain('U1');
    }
    // A replay of stored rows keeps the token it carries.
    expect(interactionRow({ ...interaction, user_id: user }, tokens).user_id).toBe(user);
  });

  it('refuse what the contract refuses, with the reason', () => {
    expect(() => interactionRow({ ...interaction, type: 'HOVER' as never }, tokens)).toThrow(/unknown type "HOVER"/);
    expect(() => interactionRow({ ...interaction, position: null }, tokens)).toThrow(RowRejectedError);
    expect(() => requestRow({ ...request, k: 0 }, tokens)).toThrow(/invalid k 0/);
    expect(() => recsysScoreRow({ ...scores, scores: [Number.NaN] }, tokens)).toThrow(/scores\[0\] is NaN/);
    expect(() => recsysLabelRow({ ...label, label_time: t0 - 1 }, tokens)).toThrow(/before recommendation_time/);
    expect(() => recsysLabelRow({ ...label, user_id: 'U 1' }, tokens)).toThrow(RowRejectedError);
  });

  it('refuse a list whose positions are not its order, a repeated item, a bad score or time', () => {
    const [first, second] = recommendation.items as [Recommendation['items'][0], Recommendation['items'][0]];
    const bad = (over: Partial<Recommendation>) => () => recommendationRow({ ...recommendation, ...over }, tokens);
    expect(bad({ items: [second, first] })).toThrow('items[0] has position 1, not its place in the list');
    expect(bad({ items: [first, { ...first, position: 1 }] })).toThrow('an item is listed twice');
    expect(bad({ items: [{ ...first, score: Number.POSITIVE_INFINITY }] })).toThrow(/items\[0\].score is Infinity/);
    expect(bad({ items: [{ ...first, item_id: '' }] })).toThrow(RowRejectedError);
    expect(bad({ decided_at: 0 })).toThrow(/decided_at/);
    expect(bad({ items: [] })()).toMatchObject({ item_ids: [] });
  });
});
