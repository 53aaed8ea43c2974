import { allRefused, bearer, refusalsOf } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, eventually, post, principals, transaction } from './harness.js';

describe('bad requests', () => {
  let world: ApiWorld;
  beforeAll(async () => {
    world = await createApiWorld();
    await eventually('the API reading its topics', () =>
      world.api.pipeline.unavailable() === null ? true : undefined,
    );
  });
  afterAll(() => world?.close());

  it('400 naming the field for each kind of invalid transaction, and nothing produced', async () => {
    const valid = transaction();
    const { customer_id: _missing, ...withoutCustomer } = valid;
    const cases: [unknown, string][] = [
      [withoutCustomer, 'customer_id'],
      [{ ...valid, amount_minor: 12.5 }, 'amount_minor'],
      [{ ...valid, event_time: '2026-01-01' }, 'event_time'],
      [{ ...valid, channel: 'CASH' }, 'channel'],
      [{ ...valid, currency: 'euro' }, 'currency'],
      [{ ...valid, amount_minor: -3 }, 'amount_minor'],
      [{ ...valid, terminal_id: 'has space' }, 'terminal_id'],
      [{ ...valid, colour: 'red' }, 'colour'],
      [[valid], '(body)'],
      ['{"event_id": ', '(body)'],
    ];
    for (const [body, field] of cases) {
      const response = await post(world.url, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.field, JSON.stringify(body)).toBe(field);
      expect(String(response.body.error)).toContain(field === '(body)' ? '' : field);
    }
    expect(world.transactions).toEqual([]);
  });

  it('400 naming the header for a deadline out of bounds or an Idempotency-Key that is not the event id', async () => {
    for (const deadline of ['5', '60000', 'soon']) {
      const response = await post(world.url, transaction(), { 'decision-deadline-ms': deadline });
      expect(response).toMatchObject({ status: 400, body: { field: 'Decision-Deadline-Ms' } });
    }
    const response = await post(world.url, transaction(), { 'idempotency-key': 'another' });
    expect(response).toMatchObject({ status: 400, body: { field: 'Idempotency-Key' } });
  });

  it('405 with Allow for other methods, 404 elsewhere, 415 for other content types, 413 for large bodies', async () => {
    const auth = bearer(principals.all);
    const get = await fetch(`${world.url}/v1/decisions`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toMatchObject({ error: expect.stringContaining('use POST') });
    expect((await fetch(`${world.url}/openapi.json`, { method: 'DELETE', headers: auth })).status).toBe(405);
    expect((await fetch(`${world.url}/v2/decisions`, { method: 'POST', headers: auth })).status).toBe(404);

    const text = await post(world.url, JSON.stringify(transaction()), { 'content-type': 'text/plain' });
    expect(text).toMatchObject({ status: 415, body: { error: expect.stringContaining('application/json') } });

    const large = await post(world.url, { ...transaction(), device_hash: 'x'.repeat(5_000) });
    expect(large).toMatchObject({ status: 413, body: { error: expect.stringContaining('4096') } });
    expect(world.transactions).toEqual([]);
  });

  it('serves its OpenAPI description', async () => {
    const response = await fetch(`${world.url}/openapi.json`, { headers: bearer(principals.only.read) });
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/decisions');
  });

  it('refuses every endpoint without a credential (401) and without its role (403), before reading the body', async () => {
    expect(world.api.routes.map((r) => `${r.method} ${r.path} ${r.access}`)).toEqual([
      'GET /openapi.json authenticated',
      'POST /v1/decisions decide',
    ]);
    expect(await refusalsOf(world.url, world.api.routes, principals)).toEqual(allRefused(world.api.routes));
    const viewer = await post(world.url, transaction(), bearer(principals.only.read));
    expect(viewer).toMatchObject({ status: 403, body: { error: "test-read lacks the role 'decide'" } });
    expect(world.transactions).toEqual([]);
  });
});
