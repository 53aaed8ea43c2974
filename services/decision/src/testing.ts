import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import type {
  EnrichedRequest,
  EnrichedTransaction,
  RecommendationScores,
  Score,
  Transaction,
} from '@pipeline/topology';
import type { FeatureSetLike } from './feature-set.js';

/** Small fixtures shared by the unit and integration tests. */
export const tinyFeatureSet: FeatureSetLike = {
  name: 'tiny',
  version: 3,
  names: ['txn_count_1h', 'amount_ratio', 'terminal_fraud_rate'],
};

export function transaction(overrides: Partial<Transaction> = {}): Transaction {
  return {
    event_id: 'e1',
    event_time: 1_767_225_600_000,
    customer_id: 'C1',
    terminal_id: 'T1',
    amount_minor: 1_000,
    currency: 'EUR',
    channel: 'POS',
    country: 'PT',
    device_hash: null,
    ip_hash: null,
    ...overrides,
  };
}

export function enriched(
  tx: Partial<Transaction> = {},
  values: number[] = [0, 1, 0],
  set: Pick<FeatureSetLike, 'name' | 'version'> = tinyFeatureSet,
): EnrichedTransaction {
  return {
    transaction: transaction(tx),
    features: { feature_set: set.name, version: set.version, values },
    computed_at: 1_767_225_600_010,
  };
}

export function score(eventId: string, value: number, overrides: Partial<Score> = {}): Score {
  return {
    event_id: eventId,
    customer_id: 'C1',
    event_time: 1_767_225_600_000,
    model_name: 'fraud_gbm',
    model_version: '7',
    feature_set_version: tinyFeatureSet.version,
    score: value,
    shadow: false,
    latency_ms: 1.5,
    scored_at: 1_767_225_600_020,
    contributions: [
      { feature: 'amount_ratio', value: 0.3 },
      { feature: 'txn_count_1h', value: 0.1 },
    ],
    ...overrides,
  };
}

const models = new URL('../../../models/', import.meta.url);

/** recsys_core's champion in the committed registry (models/aliases.json): the model the pipeline serves. */
export function recsysChampion(): { name: string; version: string } {
  const aliases = JSON.parse(readFileSync(fileURLToPath(new URL('aliases.json', models)), 'utf8')) as {
    scopes: Record<string, { champion: string }>;
  };
  const [name, version] = (aliases.scopes[recsysFeatureSet.name]?.champion ?? '').split('@');
  if (!name || !version) throw new Error(`models/aliases.json names no champion of ${recsysFeatureSet.name}`);
  return { name, version };
}

/**
 * The champion ranking model's fixture of held-out requests (models/<name>/<version>/fixture.json) as enriched
 * requests and their champion's scores (the Python onnxruntime's): items `<request>-i<k>` of five
 * categories, so the policy's category cap has work to do. `k` is each request's list length.
 */
export function recsysFixture(k = 10): { event: EnrichedRequest; scores: RecommendationScores }[] {
  const champion = recsysChampion();
  const file = fileURLToPath(new URL(`${champion.name}/${champion.version}/fixture.json`, models));
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as {
    batches: { request_id: string; from: number; to: number }[];
    vectors: (number | null)[][];
    onnxruntime: number[];
  };
  return fixture.batches.map((b, n) => {
    const items = Array.from({ length: b.to - b.from }, (_, i) => `${b.request_id}-i${i}`);
    const request = {
      request_id: b.request_id,
      event_time: 1_767_225_600_000 + n,
      user_id: `U${n}`,
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: items,
      candidate_source: null,
      k,
    };
    const event: EnrichedRequest = {
      request,
      features: {
        feature_set: recsysFeatureSet.name,
        version: recsysFeatureSet.version,
        candidates: items.map((item_id, i) => ({
          item_id,
          category: `cat${i % 5}`,
          values: (fixture.vectors[b.from + i] ?? []).map((v) => v ?? Number.NaN),
        })),
      },
      computed_at: request.event_time + 5,
    };
    const scores: RecommendationScores = {
      request_id: b.request_id,
      user_id: request.user_id,
      event_time: request.event_time,
      model_name: champion.name,
      model_version: champion.version,
      feature_set_version: recsysFeatureSet.version,
      scores: fixture.onnxruntime.slice(b.from, b.to),
      shadow: false,
      latency_ms: 2,
      scored_at: request.event_time + 9,
    };
    return { event, scores };
  });
}
