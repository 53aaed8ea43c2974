import { createAvroSerde, createRegistryClient, type DeadLetter } from '@pipeline/shared';
import { readMessages, servers } from '@pipeline/testing';
import {
  type Interaction,
  type RankedItem,
  type Recommendation,
  type RecommendationLabel,
  type RecommendationRequest,
  type RecommendationScores,
  recsysTopics,
  schemaFor,
} from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecsysQuality, recsysQuality } from '../src/queries/recsys-quality.js';
import { documentedQueries, eventually, type Harness, harness, TEST_TOKENS } from './fixtures.js';

/**
 * A small hand-made set whose quality figures are computed by hand below: four ranked lists, their
 * labels, and one bad message of each kind the contract refuses.
 */
const T = Date.UTC(2026, 10, 20, 12);
const MINUTE = 60_000;
const MODEL = { model_name: 'recsys_rank', model_version: '1' };

function list(
  request_id: string,
  user_id: string,
  items: string[],
  over: Partial<Recommendation> = {},
): Recommendation {
  return {
    request_id,
    user_id,
    event_time: T,
    items: items.map(
      (item_id, position): RankedItem => ({ item_id, position, score: 1 / (position + 1), reason_codes: ['MODEL'] }),
    ),
    path: 'MODEL_AND_RULES',
    rule_set_version: 'recsys-1',
    ...MODEL,
    feature_set_version: 1,
    experiment_variant: 'control',
    decided_at: T + 30,
    ...over,
  };
}

const twelve = Array.from({ length: 12 }, (_, i) => `I${i}`);
const recommendations: Recommendation[] = [
  list('r1', 'U1', ['A', 'B', 'C', 'D']),
  list('r2', 'U2', ['E', 'F', 'G']),
  list('r3', 'U3', twelve, { experiment_variant: 'treatment' }),
  list('r4', 'U4', ['X', 'Y'], {
    path: 'RULES_ONLY',
    model_name: null,
    model_version: null,
    items: [
      { item_id: 'X', position: 0, score: null, reason_codes: ['POPULAR'] },
      { item_id: 'Y', position: 1, score: null, reason_codes: ['POPULAR'] },
    ],
  }),
];

let labelSeq = 0;
function label(
  recommendation_id: string,
  user_id: string,
  item_id: string,
  position: number,
  outcome: RecommendationLabel['outcome'] = 'CLICK',
): RecommendationLabel {
  labelSeq += 1;
  return {
    recommendation_id,
    user_id,
    item_id,
    position,
    outcome,
    interaction_id: `li${labelSeq}`,
    recommendation_time: T,
    label_time: T + labelSeq * MINUTE,
  };
}
const labels: RecommendationLabel[] = [
  label('r1', 'U1', 'C', 2),
  label('r1', 'U1', 'A', 0),
  // A purchase of a clicked item: not a second click.
  label('r1', 'U1', 'C', 2, 'PURCHASE'),
  label('r3', 'U3', 'I1', 1),
  // Clicked below the first ten: counts for CTR and recall's denominator, not for NDCG@10's gain.
  label('r3', 'U3', 'I11', 11),
  label('r4', 'U4', 'X', 0),
  // A candidate the list did not show (the request's fifth): relevant, so r2 has a click, NDCG@10
  // and recall@10 of 0, and no CTR click.
  label('r2', 'U2', 'Z', 3),
];

const interactions: Interaction[] = labels.map((l) => ({
  event_id: l.interaction_id,
  event_time: l.label_time,
  user_id: l.user_id,
  item_id: l.item_id,
  category: 'books',
  type: l.outcome,
  recommendation_id: l.recommendation_id,
  position: l.position,
  price_minor: l.outcome === 'PURCHASE' ? 1_299 : null,
}));

const requests: RecommendationRequest[] = recommendations.map((r) => ({
  request_id: r.request_id,
  event_time: r.event_time,
  user_id: r.user_id,
  context: { surface: 'home', device: 'mobile', current_item_id: null },
  candidate_item_ids: [...r.items.map((i) => i.item_id), 'Z'],
  candidate_source: null,
  k: r.items.length,
}));

const scores: RecommendationScores[] = requests.flatMap((r) =>
  ['1', '2-shadow'].map((version) => ({
    request_id: r.request_id,
    user_id: r.user_id,
    event_time: r.event_time,
    model_name: 'recsys_rank',
    model_version: version,
    feature_set_version: 1,
    scores: r.candidate_item_ids.map((_, i) => 1 - i / 100),
    shadow: version !== '1',
    latency_ms: 0.5,
    scored_at: r.event_time + 10,
  })),
);

// One message of each topic that the contract refuses, with the reason it gives.
const bad = {
  interaction: { ...(interactions[0] as Interaction), event_id: 'bad-i', user_id: 'U 9' },
  request: { ...(requests[0] as RecommendationRequest), request_id: 'bad-r', k: 0 },
  scores: { ...(scores[0] as RecommendationScores), request_id: 'bad-s', scores: [] },
  recommendation: list('bad-rec', 'U9', ['A', 'A']),
  label: { ...label('r2', 'U2', 'E', 0), interaction_id: 'bad-l', label_time: T - MINUTE },
};

const DAY = new Date(T).toISOString().slice(0, 10);

describe('the recommendation topics land in their tables once, tokenized, and the quality views score them', () => {
  let h: Harness;
  const counts = async () => ({
    recsys_interactions: await h.count('recsys_interactions'),
    recsys_requests: await h.count('recsys_requests'),
    recsys_scores: await h.count('recsys_scores'),
    recsys_recommendations: await h.count('recsys_recommendations'),
    recsys_labels: await h.count('recsys_labels'),
  });
  const expected = {
    recsys_interactions: interactions.length,
    recsys_requests: requests.length,
    recsys_scores: scores.length,
    recsys_recommendations: recommendations.length,
    recsys_labels: labels.length,
  };
  const publishAll = async () => {
    await h.publishTo(recsysTopics.interactions.name, [...interactions, bad.interaction], (v) => v.user_id);
    await h.publishTo(recsysTopics.requests.name, [...requests, bad.request], (v) => v.user_id);
    await h.publishTo(recsysTopics.scores.name, [...scores, bad.scores], (v) => v.user_id);
    await h.publishTo(recsysTopics.recommendations.name, [...recommendations, bad.recommendation], (v) => v.user_id);
    await h.publishTo(recsysTopics.labels.name, [...labels, bad.label], (v) => v.user_id);
  };

  beforeAll(async () => {
    h = await harness(2, ['recsys']);
  });
  afterAll(() => h.close());

  it('stores every message once, the user as a token, and dead-letters each bad one with its reason', async () => {
    await publishAll();
    await h.startSink({ groupId: `${h.database}_first` });
    expect(await eventually(counts, expected)).toEqual(expected);

    const stored = await h.clickhouse.query({
      query: `SELECT request_id, user_id, item_ids, item_scores, item_reason_codes, path, model_version,
                     experiment_variant, toUInt64(decided_at_ms) AS decided_at
              FROM recsys_recommendations FINAL ORDER BY request_id`,
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual(
      recommendations.map((r) => ({
        request_id: r.request_id,
        user_id: TEST_TOKENS.token('user', r.user_id),
        item_ids: r.items.map((i) => i.item_id),
        item_scores: r.items.map((i) => i.score),
        item_reason_codes: r.items.map((i) => i.reason_codes),
        path: r.path,
        model_version: r.model_version,
        experiment_variant: r.experiment_variant,
        decided_at: String(r.decided_at),
      })),
    );
    const shadow = await h.clickhouse.query({
      query: "SELECT scores FROM recsys_scores FINAL WHERE request_id = 'r1' AND shadow = 1",
      format: 'JSONEachRow',
    });
    expect(await shadow.json()).toEqual([{ scores: [1, 0.99, 0.98, 0.97, 0.96] }]);

    // No raw user id anywhere: every user_id is the token of one of the set's users.
    const users = new Set(['U1', 'U2', 'U3', 'U4'].map((u) => TEST_TOKENS.token('user', u)));
    for (const table of Object.keys(expected)) {
      const result = await h.clickhouse.query({
        query: `SELECT DISTINCT user_id FROM ${table}`,
        format: 'JSONEachRow',
      });
      const ids = (await result.json<{ user_id: string }>()).map((r) => r.user_id);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(users.has(id), `${table}: ${id}`).toBe(true);
    }

    const messages = await readMessages(h.kafka, h.topics.deadLetters, 5, 45_000);
    const decoder = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL)).decoder<DeadLetter>(
      schemaFor('pipeline/dead-letter').type,
    );
    await decoder.prepare(messages.map((m) => m.value));
    const letters = messages.map((m) => decoder.decode(m.value));
    const reasonOn = (name: string) => {
      const found = letters.filter((l) => l.topic === h.topicOf(name));
      expect(found.map((l) => l.error_type)).toEqual(['RowRejectedError']);
      return found[0]?.error;
    };
    expect(reasonOn(recsysTopics.interactions.name)).toMatch(/^invalid user_id "U 9"/);
    expect(reasonOn(recsysTopics.requests.name)).toMatch(/^invalid k 0/);
    expect(reasonOn(recsysTopics.scores.name)).toBe('no scores');
    expect(reasonOn(recsysTopics.recommendations.name)).toBe('an item is listed twice');
    expect(reasonOn(recsysTopics.labels.name)).toMatch(/^label_time .* is before recommendation_time/);

    // Stored in dead_letters too: the quoted user id withheld, the key a user token.
    const dead = async () => {
      const result = await h.clickhouse.query({
        query: `SELECT error, original_key FROM dead_letters FINAL WHERE topic = '${h.topicOf(recsysTopics.interactions.name)}'`,
        format: 'JSONEachRow',
      });
      return result.json<{ error: string; original_key: string }>();
    };
    const [stored_letter] = await eventually(async () => (await dead()).length, 1).then(() => dead());
    expect(stored_letter?.error).toMatch(/^invalid user_id \(withheld\)/);
    expect(stored_letter?.original_key).toBe(TEST_TOKENS.token('user', 'U 9'));
  });

  it('counts each message once after a redelivery: every message produced again, read by a second group', async () => {
    await publishAll();
    const group = `${h.database}_replay`;
    await h.startSink({ groupId: group, batchSize: 3 });
    // Done when the replaying group committed both copies of every label (bad ones included).
    const all = 2 * (labels.length + 1);
    expect(await eventually(() => h.committed(group, h.topicOf(recsysTopics.labels.name)), all)).toBe(all);
    const allRecs = 2 * (recommendations.length + 1);
    expect(await eventually(() => h.committed(group, h.topicOf(recsysTopics.recommendations.name)), allRecs)).toBe(
      allRecs,
    );
    expect(await counts()).toEqual(expected);
  });

  it('gives the hand-computed CTR, NDCG@10 and recall@10 per model version and variant', async () => {
    // DCG@10 sums 1 / log2(position + 2) over the clicked items in the first ten; IDCG@10 is the
    // same with the request's clicked items (shown or not) ranked first.
    const idcg2 = 1 + 1 / Math.log2(3);
    const r1 = (1 / Math.log2(2) + 1 / Math.log2(4)) / idcg2; // A at 0 and C at 2 clicked
    const r3 = 1 / Math.log2(3) / idcg2; // I1 at 1 clicked; I11 at 11 is outside the ten
    const want: RecsysQuality[] = [
      {
        model_name: null,
        model_version: null,
        experiment_variant: 'control',
        recommendations: 1,
        items_shown: 2,
        clicks: 1,
        recommendations_clicked: 1,
        ctr: 1 / 2,
        ndcg_at_10: 1,
        recall_at_10: 1,
      },
      {
        ...MODEL,
        experiment_variant: 'control',
        recommendations: 2,
        items_shown: 4 + 3,
        clicks: 2,
        recommendations_clicked: 2,
        ctr: 2 / 7,
        ndcg_at_10: (r1 + 0) / 2,
        recall_at_10: (1 + 0) / 2,
      },
      {
        ...MODEL,
        experiment_variant: 'treatment',
        recommendations: 1,
        items_shown: 12,
        clicks: 2,
        recommendations_clicked: 1,
        ctr: 2 / 12,
        ndcg_at_10: r3,
        recall_at_10: 1 / 2,
      },
    ];
    const byKey = (rows: RecsysQuality[]) =>
      [...rows].sort((a, b) =>
        `${a.model_version}|${a.experiment_variant}`.localeCompare(`${b.model_version}|${b.experiment_variant}`),
      );
    const close = (rows: RecsysQuality[]) =>
      byKey(rows).map((r) => ({
        ...r,
        ctr: r.ctr === null ? null : Number(r.ctr.toFixed(9)),
        ndcg_at_10: r.ndcg_at_10 === null ? null : Number(r.ndcg_at_10.toFixed(9)),
        recall_at_10: r.recall_at_10 === null ? null : Number(r.recall_at_10.toFixed(9)),
      }));
    expect(close(await recsysQuality(h.clickhouse))).toEqual(close(want));
    expect(close(await recsysQuality(h.clickhouse, { from: DAY, to: DAY }))).toEqual(close(want));
    // Another period holds nothing.
    expect(await recsysQuality(h.clickhouse, { from: '2026-11-21' })).toEqual([]);
    await expect(recsysQuality(h.clickhouse, { from: "2026-11-20' OR 1" })).rejects.toThrow(/from must be a day/);

    // The query docs/analytics.md shows analysts gives the same figures.
    const documented = await h.clickhouse.query({
      query: documentedQueries().get('recsys-quality') as string,
      format: 'JSONEachRow',
    });
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    expect(await documented.json()).toEqual(
      [
        ['1', 'control', 7, 2, 2, 2 / 7, r1 / 2, 0.5],
        ['1', 'treatment', 12, 2, 1, 2 / 12, r3, 0.5],
        [null, 'control', 2, 1, 1, 1 / 2, 1, 1],
      ].map(([model_version, experiment_variant, shown, clicks, lists, ctr, ndcg, recall]) => ({
        model_version,
        experiment_variant,
        n_shown: String(shown),
        n_clicks: String(clicks),
        n_lists_clicked: String(lists),
        ctr: r4(ctr as number),
        ndcg_at_10: r4(ndcg as number),
        recall_at_10: r4(recall as number),
      })),
    );

    // The per-list view, as an analyst reads it.
    const lists = await h.clickhouse.query({
      query: `SELECT request_id, items_shown, clicked, relevant, hits_at_10, ndcg_at_10, recall_at_10
              FROM recsys_recommendation_quality ORDER BY request_id`,
      format: 'JSONEachRow',
    });
    const rows = (await lists.json<Record<string, string | number | null>>()).map((r) => ({
      ...r,
      ndcg_at_10: r.ndcg_at_10 === null ? null : Number(Number(r.ndcg_at_10).toFixed(9)),
    }));
    expect(rows).toEqual([
      {
        request_id: 'r1',
        items_shown: '4',
        clicked: '2',
        relevant: '2',
        hits_at_10: '2',
        ndcg_at_10: Number(r1.toFixed(9)),
        recall_at_10: 1,
      },
      {
        request_id: 'r2',
        items_shown: '3',
        clicked: '0',
        relevant: '1',
        hits_at_10: '0',
        ndcg_at_10: 0,
        recall_at_10: 0,
      },
      {
        request_id: 'r3',
        items_shown: '12',
        clicked: '2',
        relevant: '2',
        hits_at_10: '1',
        ndcg_at_10: Number(r3.toFixed(9)),
        recall_at_10: 0.5,
      },
      {
        request_id: 'r4',
        items_shown: '2',
        clicked: '1',
        relevant: '1',
        hits_at_10: '1',
        ndcg_at_10: 1,
        recall_at_10: 1,
      },
    ]);
  });
});
