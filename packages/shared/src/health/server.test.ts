import { allRefused, bearer, refusalsOf, testPrincipals } from '@pipeline/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, type HealthServerOptions, startHealthServer } from './server.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const principals = testPrincipals();
const start = (options: Omit<HealthServerOptions, 'auth' | 'port' | 'host'> = {}) =>
  startHealthServer({ port: 0, host: '127.0.0.1', auth: principals.auth('health'), ...options });

async function get(path: string, method = 'GET', token: string | null = principals.only.read) {
  const response = await fetch(`http://127.0.0.1:${server?.port}${path}`, {
    method,
    headers: token ? bearer(token) : {},
  });
  return {
    status: response.status,
    body: (await response.json()) as { status?: string; failing?: string[]; error?: string; metrics?: string },
  };
}

const metrics: HealthServerOptions['metrics'] = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ metrics: 'here' }));
};

describe('health server', () => {
  it('is live at once and ready only once started and every check passes', async () => {
    let kafkaOk = false;
    server = await start({ checks: { kafka: () => kafkaOk } });
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get('/health/ready')).toEqual({
      status: 503,
      body: { status: 'not ready', failing: ['started', 'kafka'] },
    });
    server.setReady(true);
    expect((await get('/health/ready')).body.failing).toEqual(['kafka']);
    kafkaOk = true;
    expect(await get('/health/ready')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('counts a check that throws as failing', async () => {
    server = await start({
      checks: {
        redis: () => {
          throw new Error('down');
        },
      },
    });
    server.setReady(true);
    expect(await get('/health/ready')).toEqual({ status: 503, body: { status: 'not ready', failing: ['redis'] } });
  });

  it('answers 404 for unknown paths and 405 for other methods, with a reason', async () => {
    server = await start();
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('no route /nope');
    const post = await get('/health/live', 'POST');
    expect(post.status).toBe(405);
    expect(post.body.error).toContain('POST not allowed');
  });

  it('serves /metrics through the given handler', async () => {
    server = await start({ metrics });
    expect(await get('/metrics')).toEqual({ status: 200, body: { metrics: 'here' } });
  });

  it('keeps liveness open and refuses every other route without a credential or the read role', async () => {
    server = await start({ metrics });
    expect(server.routes.filter((r) => r.access === 'public').map((r) => r.path)).toEqual(['/health/live']);
    expect(await get('/health/live', 'GET', null)).toEqual({ status: 200, body: { status: 'ok' } });
    const url = `http://127.0.0.1:${server.port}`;
    expect(await refusalsOf(url, server.routes, principals)).toEqual(allRefused(server.routes));
    expect(server.routes.map((r) => r.path)).toEqual(['/health/live', '/health/ready', '/metrics']);
  });

  it('answers an unknown path only to a known principal', async () => {
    server = await start();
    expect((await get('/nope', 'GET', null)).status).toBe(401);
    expect((await get('/nope', 'GET', principals.only.decide)).status).toBe(404);
  });
});
