import { fraudFeatureSet } from '@pipeline/feature-sets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as store from '../src/store.js';
import { type Harness, harness } from './harness.js';
import { DAY, START } from './traffic.js';

/**
 * After a new feature-set version, the reference window may hold vectors of the old one, whose values
 * mean other features (fraud_core v1's fraud rates went above 1): drift must not compare with them.
 */
describe('the drift reference', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    const row = (id: string, version: number, value: number) =>
      `('${id}', ${Math.floor((START + DAY) / 1000)}, 'C1', 'T1', 100, 'EUR', 'POS', 'FR', NULL, NULL, '${fraudFeatureSet.name}', ${version}, [${value}], 0, 0)`;
    await h.clickhouse.command({
      query: `INSERT INTO transactions_enriched (event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, device_hash, ip_hash, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms) VALUES ${[
        row('old', fraudFeatureSet.version - 1, 1.4),
        row('new', fraudFeatureSet.version, 0.5),
      ].join(', ')}`,
    });
  });
  afterAll(() => h?.close());

  it('holds only vectors of the feature set the monitor checks', async () => {
    expect(await store.referenceVectors(h.clickhouse, START, START + 2 * DAY, 100, fraudFeatureSet)).toEqual([[0.5]]);
  });
});
