import { describe, expect, it } from 'vitest';
import type {
  EnrichedRequest,
  Interaction,
  Label,
  RecommendationLabel,
  RecommendationRequest,
  RecommendationScores,
  Transaction,
} from './contracts.js';
import {
  enrichedRequestProblem,
  interactionProblem,
  labelProblem,
  recommendationLabelProblem,
  recommendationScoresProblem,
  requestProblem,
  transactionProblem,
} from './validate.js';

const T = Date.UTC(2026, 0, 1);
const tx = (over: Partial<Transaction> = {}): Transaction => ({
  event_id: 'e1',
  event_time: T,
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 500,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
  ...over,
});
const label = (over: Partial<Label> = {}): Label => ({
  transaction_id: 'e1',
  customer_id: 'C1',
  terminal_id: 'T1',
  is_fraud: true,
  label_time: T,
  transaction_time: T - 1,
  ...over,
});

describe('the contract every service checks', () => {
  it('accepts good transactions and labels, ids of any script included', () => {
    expect(transactionProblem(tx())).toBeUndefined();
    expect(
      transactionProblem(tx({ customer_id: 'Ürsula-東京-42', device_hash: 'ab'.repeat(64), amount_minor: 0 })),
    ).toBeUndefined();
    expect(labelProblem(label())).toBeUndefined();
    // a label known at the very millisecond of its transaction
    expect(labelProblem(label({ transaction_time: T }))).toBeUndefined();
  });

  it.each([
    [{ event_id: '' }, /missing event_id/],
    [{ customer_id: 'C\u00001' }, /invalid customer_id "C\\u00001"/],
    [{ customer_id: 'C\u200b1' }, /invalid customer_id/],
    [{ terminal_id: 'T\u202e1' }, /invalid terminal_id/],
    [{ customer_id: 'C\ufffd' }, /invalid customer_id/],
    [{ terminal_id: 'a|b' }, /invalid terminal_id/],
    [{ customer_id: 'x'.repeat(129) }, /invalid customer_id "x{40}…" \(129 characters\)/],
    [{ amount_minor: 1.5 }, /not an integer/],
    [{ amount_minor: -1 }, /negative amount_minor/],
    [{ currency: '' }, /invalid currency ""/],
    [{ country: 'pt' }, /invalid country/],
    [{ ip_hash: '' }, /invalid ip_hash/],
    [{ event_time: 0 }, /invalid event_time 0: epoch milliseconds from 2000 to 2100/],
    [{ event_time: Date.UTC(2100, 0, 1) }, /invalid event_time/],
  ] as [Partial<Transaction>, RegExp][])('refuses the transaction %o', (over, reason) => {
    expect(transactionProblem(tx(over))).toMatch(reason);
  });

  it.each([
    [{ transaction_id: ' ' }, /missing transaction_id/],
    [{ terminal_id: 'T{1}' }, /invalid terminal_id/],
    [{ label_time: 0 }, /invalid label_time 0/],
    [{ label_time: Number.NaN }, /invalid label_time/],
    [{ transaction_time: null }, /missing transaction_time/],
    [{ transaction_time: 0 }, /invalid transaction_time 0/],
    [{ transaction_time: 1.5e12 + 0.5 }, /invalid transaction_time/],
    [{ transaction_time: T + 1 }, /transaction_time \d+ is after label_time \d+/],
  ] as [Partial<Label>, RegExp][])('refuses the label %o', (over, reason) => {
    expect(labelProblem(label(over))).toMatch(reason);
  });
});

describe('the recommendation contracts every service checks', () => {
  const interaction = (over: Partial<Interaction> = {}): Interaction => ({
    event_id: 'i1',
    event_time: T,
    user_id: 'U1',
    item_id: 'I1',
    category: 'books',
    type: 'VIEW',
    recommendation_id: null,
    position: null,
    price_minor: null,
    ...over,
  });
  const request = (over: Partial<RecommendationRequest> = {}): RecommendationRequest => ({
    request_id: 'r1',
    event_time: T,
    user_id: 'U1',
    context: { surface: 'home', device: null, current_item_id: null },
    candidate_item_ids: ['I1', 'I2'],
    candidate_source: null,
    k: 10,
    ...over,
  });
  const label = (over: Partial<RecommendationLabel> = {}): RecommendationLabel => ({
    recommendation_id: 'r1',
    user_id: 'U1',
    item_id: 'I1',
    position: 0,
    outcome: 'CLICK',
    interaction_id: 'i2',
    recommendation_time: T,
    label_time: T + 1,
    ...over,
  });

  it('accepts good interactions, requests and labels', () => {
    expect(interactionProblem(interaction())).toBeUndefined();
    expect(
      interactionProblem(interaction({ type: 'PURCHASE', recommendation_id: 'r1', position: 3, price_minor: 1299 })),
    ).toBeUndefined();
    expect(requestProblem(request())).toBeUndefined();
    expect(requestProblem(request({ candidate_item_ids: [], candidate_source: 'popular_7d' }))).toBeUndefined();
    expect(recommendationLabelProblem(label())).toBeUndefined();
  });

  it('names what is wrong with an interaction', () => {
    expect(interactionProblem(interaction({ user_id: '' }))).toBe('missing user_id');
    expect(interactionProblem(interaction({ item_id: 'a|b' }))).toMatch(/^invalid item_id "a\|b"/);
    expect(interactionProblem(interaction({ category: '{x}' }))).toMatch(/^invalid category/);
    expect(interactionProblem(interaction({ type: 'LIKE' as 'VIEW' }))).toBe('unknown type "LIKE"');
    expect(interactionProblem(interaction({ recommendation_id: 'r1' }))).toMatch(/go together/);
    expect(interactionProblem(interaction({ recommendation_id: 'r1', position: -1 }))).toBe('invalid position -1');
    expect(interactionProblem(interaction({ price_minor: -5 }))).toBe('invalid price_minor -5');
    expect(interactionProblem(interaction({ event_time: 5 }))).toMatch(/^invalid event_time 5/);
  });

  it('names what is wrong with a request', () => {
    expect(requestProblem(request({ candidate_item_ids: [] }))).toBe('no candidate_item_ids and no candidate_source');
    expect(requestProblem(request({ candidate_item_ids: ['I1', ' '] }))).toBe('missing candidate_item_ids[1]');
    expect(requestProblem(request({ k: 0 }))).toMatch(/^invalid k 0/);
    expect(requestProblem(request({ context: { surface: ' ', device: null, current_item_id: null } }))).toBe(
      'missing context.surface',
    );
    expect(requestProblem(request({ candidate_item_ids: Array.from({ length: 10_001 }, (_, i) => `I${i}`) }))).toMatch(
      /more than 10000/,
    );
  });

  it('accepts an enriched request with one vector per candidate, and names what is wrong with one', () => {
    const enriched = (over: Partial<EnrichedRequest['features']> = {}): EnrichedRequest => ({
      request: request({ candidate_item_ids: ['I1', 'I2'] }),
      features: {
        feature_set: 'recsys_core',
        version: 1,
        candidates: [
          { item_id: 'I1', category: 'books', values: [1, Number.NaN] },
          { item_id: 'I2', category: '-', values: [0, 2] },
        ],
        ...over,
      },
      computed_at: T,
    });
    expect(enrichedRequestProblem(enriched())).toBeUndefined();
    const good = enriched().features.candidates;
    expect(enrichedRequestProblem(enriched({ candidates: good.slice(0, 1) }))).toBe(
      '1 candidate vectors for 2 candidate_item_ids',
    );
    expect(enrichedRequestProblem(enriched({ candidates: [...good].reverse() }))).toBe(
      'candidates[0] is I2, candidate_item_ids[0] I1',
    );
    expect(
      enrichedRequestProblem(enriched({ candidates: [good[0] as never, { ...good[1], values: [1] } as never] })),
    ).toBe('candidates[1] has 1 values, candidates[0] 2');
    expect(enrichedRequestProblem(enriched({ version: 0 }))).toBe('invalid features.version 0');
    expect(
      enrichedRequestProblem({
        ...enriched({ candidates: [] }),
        request: request({ candidate_item_ids: [], candidate_source: 'popular_7d' }),
      }),
    ).toMatch(/^no candidate_item_ids/);
  });

  it('accepts one finite score per candidate, and names what is wrong with scores', () => {
    const scores = (over: Partial<RecommendationScores> = {}): RecommendationScores => ({
      request_id: 'r1',
      user_id: 'U1',
      event_time: T,
      model_name: 'recsys_rank',
      model_version: '1',
      feature_set_version: 1,
      scores: [0.2, 0.1],
      shadow: false,
      latency_ms: 0.3,
      scored_at: T + 1,
      ...over,
    });
    expect(recommendationScoresProblem(scores())).toBeUndefined();
    expect(recommendationScoresProblem(scores({ scores: [] }))).toBe('no scores');
    expect(recommendationScoresProblem(scores({ scores: [0.1, Number.NaN] }))).toBe(
      'scores[1] is NaN, not a finite number',
    );
    expect(recommendationScoresProblem(scores({ model_name: '' }))).toBe('missing model_name');
    expect(recommendationScoresProblem(scores({ feature_set_version: 0 }))).toBe('invalid feature_set_version 0');
    expect(recommendationScoresProblem(scores({ latency_ms: -1 }))).toBe('invalid latency_ms -1');
    expect(recommendationScoresProblem(scores({ scored_at: 5 }))).toMatch(/^invalid scored_at 5/);
  });

  it('names what is wrong with a label', () => {
    expect(recommendationLabelProblem(label({ label_time: T - 1 }))).toMatch(/before recommendation_time/);
    expect(recommendationLabelProblem(label({ outcome: 'VIEW' as 'CLICK' }))).toBe('unknown outcome "VIEW"');
    expect(recommendationLabelProblem(label({ interaction_id: '' }))).toBe('missing interaction_id');
    expect(recommendationLabelProblem(label({ position: 1.5 }))).toBe('invalid position 1.5');
  });
});
