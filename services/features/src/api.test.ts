import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { RedisClient } from '@pipeline/shared';
import { allRefused, bearer, refusalsOf, testPrincipals } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeatureApi, startFeatureApi } from './api.js';
import type { Engine } from './engine.js';

/**
 * The read API's guard, without Redis: a refused request never reaches the store, so the store here
 * is one that fails any use (a request that got through would answer 503, not 401/403).
 */
const noStore = new Proxy({} as RedisClient, {
  get() {
    throw new Error('the feature store was reached');
  },
});
const engine = { set: fraudFeatureSet } as unknown as Engine;

describe('the online read API without a credential or the read role', () => {
  const principals = testPrincipals();
  let api: FeatureApi;
  beforeAll(async () => {
    api = await startFeatureApi({
      redis: noStore,
      engine,
      auth: principals.auth('features-api'),
      port: 0,
      host: '127.0.0.1',
    });
  });
  afterAll(() => api?.close());

  it('refuses every route: 401 without a token, 403 for a principal lacking the role', async () => {
    expect(api.routes).toEqual([{ method: 'GET', path: '/features/:entity/:id', access: 'read' }]);
    expect(await refusalsOf(`http://127.0.0.1:${api.port}`, api.routes, principals)).toEqual(allRefused(api.routes));
  });

  it('answers an unknown path 404 and another method 405 only to a known principal', async () => {
    const url = `http://127.0.0.1:${api.port}`;
    expect((await fetch(`${url}/nothing`)).status).toBe(401);
    expect((await fetch(`${url}/nothing`, { headers: bearer(principals.only.decide) })).status).toBe(404);
    const post = await fetch(`${url}/features/customer/C1`, { method: 'POST', headers: bearer(principals.all) });
    expect(post.status).toBe(405);
  });
});
