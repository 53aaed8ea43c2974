import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRegistry } from '@pipeline/scorer';
import type { ClickHouseClient } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors.js';
import { createMonitoringStore } from '../monitoring/store.js';
import { readRegistry } from './registry.js';
import { createModelTrafficStore } from './store.js';

/** A ClickHouse client answering each query with `answer(sql)`, recording the queries. */
function fakeClickHouse(answer: (sql: string) => unknown[] | Error): { client: ClickHouseClient; queries: string[] } {
  const queries: string[] = [];
  const client = {
    query: async ({ query }: { query: string }) => {
      queries.push(query);
      const rows = answer(query);
      if (rows instanceof Error) throw rows;
      return { json: async () => rows };
    },
  } as unknown as ClickHouseClient;
  return { client, queries };
}

describe('the models and monitoring stores', () => {
  it('answer null without decisions, and without a monitor run, reading nothing more', async () => {
    const traffic = fakeClickHouse(() => []);
    expect(await createModelTrafficStore(traffic.client, async () => null).live(24, () => null)).toBeNull();
    expect(traffic.queries).toEqual([]);
    const monitor = fakeClickHouse(() => [{ t: 0, n: '0' }]);
    expect(await createMonitoringStore(monitor.client).read({ days: 7, series: null, feature: null })).toBeNull();
    expect(monitor.queries).toHaveLength(1);
  });

  it('turn ClickHouse not answering into an UnavailableError (503) naming it', async () => {
    const down = fakeClickHouse(() => new Error('connect ECONNREFUSED 127.0.0.1:8123'));
    const read = createMonitoringStore(down.client).read({ days: 7, series: null, feature: null });
    await expect(read).rejects.toBeInstanceOf(UnavailableError);
    await expect(read).rejects.toThrow('ClickHouse did not answer: connect ECONNREFUSED');
    const live = createModelTrafficStore(down.client, async () => 1_000).live(24, () => null);
    await expect(live).rejects.toBeInstanceOf(UnavailableError);
  });

  it('end the models page’s span with the hour of the newest decision', async () => {
    const { client, queries } = fakeClickHouse(() => []);
    const live = await createModelTrafficStore(client, async () => 1_700_000_123).live(24, () => null);
    expect(live).toMatchObject({ from: 1_700_002_800 - 86_400, to: 1_700_002_800, models: [] });
    expect(queries).toHaveLength(3);
  });

  it('answer 503 for a registry that cannot be read', async () => {
    const missing = fileRegistry(join(tmpdir(), `no-registry-${process.pid}-${Date.now()}`));
    await expect(readRegistry(missing, { name: 'f', version: 2 })).rejects.toThrow(
      /the model registry: cannot read registry directory/,
    );
    await expect(readRegistry(missing, { name: 'f', version: 2 })).rejects.toBeInstanceOf(UnavailableError);
  });
});
