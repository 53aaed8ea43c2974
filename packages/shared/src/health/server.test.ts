import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, startHealthServer } from './server.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, method = 'GET') {
  const response = await fetch(`http://127.0.0.1:${server?.port}${path}`, { method });
  return {
    status: response.status,
    body: (await response.json()) as { status?: string; failing?: string[]; error?: string; metrics?: string },
  };
}

describe('health server', () => {
  it('is live at once and ready only once started and every check passes', async () => {
    let kafkaOk = false;
    server = await startHealthServer({ port: 0, host: '127.0.0.1', checks: { kafka: () => kafkaOk } });
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
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
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
    server = await startHealthServer({ port: 0, host: '127.0.0.1' });
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('no route /nope');
    const post = await get('/health/live', 'POST');
    expect(post.status).toBe(405);
    expect(post.body.error).toContain('POST not allowed');
  });

  it('serves /metrics through the given handler', async () => {
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      metrics: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ metrics: 'here' }));
      },
    });
    expect(await get('/metrics')).toEqual({ status: 200, body: { metrics: 'here' } });
  });
});
