import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, post, transaction } from './harness.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('pipeline down', () => {
  let world: ApiWorld;
  beforeAll(async () => {
    world = await createApiWorld({ brokers: [`127.0.0.1:${await closedPort()}`] });
  });
  afterAll(() => world?.close());

  it('answers 503 with the reason and Retry-After, and takes no event id', async () => {
    const tx = transaction();
    const response = await post(world.url, tx);
    expect(response.status).toBe(503);
    expect(String(response.body.error)).toMatch(/^pipeline unavailable: .*Kafka/);
    expect(response.headers.get('retry-after')).toBe('1');
    // The event id stays free: a retry once Kafka is back is a first request, not a repeat.
    expect(await world.redis.keys(`${world.ns.redisPrefix}*`)).toEqual([]);
  });

  it('still refuses bad requests with 400 before anything else', async () => {
    expect(await post(world.url, { ...transaction(), currency: 'x' })).toMatchObject({
      status: 400,
      body: { field: 'currency' },
    });
  });
});
