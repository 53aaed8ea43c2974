import { randomBytes } from 'node:crypto';
import { createClickHouse, createRedisClient, type RedisClient } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCredentials } from './credentials.js';
import { serviceAclRules, serviceKeyPatterns } from './redis-acl.js';

/**
 * Against the real servers: each service gets in with its own user and only to its own data; another
 * service's user, or no user at all, is refused. Redis users are made here with the rules infra
 * writes (serviceAclRules) but over this run's key prefixes, so the test never touches live keys.
 */
const s = () => servers();
const withUser = (url: string, user?: string, password?: string) => {
  const u = new URL(url);
  u.username = user ?? '';
  u.password = password ?? '';
  return u.toString();
};

describe('Redis: one ACL user per service', () => {
  const run = uniqueName('acl');
  const prefixes = { features: `${run}:f:`, decision: `${run}:decision:`, api: `${run}:api:` };
  const users = Object.fromEntries(
    Object.keys(serviceKeyPatterns()).map((service) => [
      service,
      { name: `${run}_${service}`, password: randomBytes(16).toString('hex') },
    ]),
  ) as Record<'features' | 'decision' | 'api', { name: string; password: string }>;
  let admin: RedisClient;
  const clients: RedisClient[] = [];
  const as = (service?: keyof typeof users) => {
    const client = createRedisClient(
      {
        REDIS_URL: withUser(s().REDIS_URL, service && users[service].name, service && users[service].password),
        REDIS_CLUSTER: false,
        REDIS_TLS_CA: s().REDIS_TLS_CA,
      },
      { maxRetriesPerRequest: 0, lazyConnect: true },
    );
    client.on('error', () => {}); // refusals are asserted on the commands
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    admin = createRedisClient({ REDIS_URL: s().REDIS_URL, REDIS_CLUSTER: false, REDIS_TLS_CA: s().REDIS_TLS_CA });
    for (const [service, patterns] of Object.entries(serviceKeyPatterns(prefixes))) {
      const user = users[service as keyof typeof users];
      await admin.call('ACL', 'SETUSER', user.name, 'reset', ...serviceAclRules(user.password, patterns));
    }
  });

  afterAll(async () => {
    for (const user of Object.values(users)) await admin.call('ACL', 'DELUSER', user.name);
    const keys = await admin.keys(`${run}:*`);
    if (keys.length > 0) await admin.del(...keys);
    for (const client of clients) client.disconnect();
    admin.disconnect();
  });

  it('the server speaks TLS only and the URL asks for it', () => {
    expect(new URL(s().REDIS_URL).protocol).toBe('rediss:');
  });

  it('lets each service write and read its own keys', async () => {
    await as('features').set(`${prefixes.features}{c:1}:s5`, 'state');
    expect(await as('features').get(`${prefixes.features}{c:1}:s5`)).toBe('state');
    await as('decision').set(`${prefixes.decision}{c:1}:decided:e1`, 'E:x');
    await as('api').set(`${prefixes.api}{e:e1}:claim`, 'h');
    // The API joins the decision engine's state.
    expect(await as('api').get(`${prefixes.decision}{c:1}:decided:e1`)).toBe('E:x');
  });

  it("refuses another service's keys", async () => {
    await expect(as('api').set(`${prefixes.features}{c:1}:s5`, 'forged')).rejects.toThrow(/NOPERM/);
    await expect(as('decision').get(`${prefixes.features}{c:1}:s5`)).rejects.toThrow(/NOPERM/);
    await expect(as('features').get(`${prefixes.api}{e:e1}:claim`)).rejects.toThrow(/NOPERM/);
    expect(await admin.get(`${prefixes.features}{c:1}:s5`)).toBe('state');
  });

  it('refuses dangerous commands to a service', async () => {
    await expect(as('features').call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    await expect(as('features').call('CONFIG', 'GET', 'dir')).rejects.toThrow(/NOPERM/);
    await expect(as('features').call('ACL', 'LIST')).rejects.toThrow(/NOPERM/);
  });

  it('refuses a client without credentials, and a wrong password', async () => {
    await expect(as().get(`${prefixes.features}{c:1}:s5`)).rejects.toThrow(/NOAUTH/);
    const wrong = createRedisClient(
      {
        REDIS_URL: withUser(s().REDIS_URL, users.features.name, 'not-the-password'),
        REDIS_CLUSTER: false,
        REDIS_TLS_CA: s().REDIS_TLS_CA,
      },
      { maxRetriesPerRequest: 0, lazyConnect: true },
    );
    wrong.on('error', () => {});
    clients.push(wrong);
    await expect(wrong.get('x')).rejects.toThrow(/WRONGPASS|NOAUTH/);
  });

  it('refuses a client that does not speak TLS', async () => {
    const url = new URL(s().REDIS_URL);
    url.protocol = 'redis:';
    const plain = createRedisClient(
      { REDIS_URL: url.toString(), REDIS_CLUSTER: false },
      {
        maxRetriesPerRequest: 0,
        lazyConnect: true,
      },
    );
    plain.on('error', () => {});
    clients.push(plain);
    await expect(plain.get('x')).rejects.toThrow();
  });
});

describe('ClickHouse: one user per role', () => {
  const passwords = () => {
    const file = s().PIPELINE_CREDENTIALS;
    if (!file) throw new Error('PIPELINE_CREDENTIALS is not set: the role tests need the local set passwords');
    return ensureCredentials(file).clickhouse;
  };
  const as = (user?: 'admin' | 'sink' | 'monitor' | 'console' | 'analyst', database = 'default') =>
    createClickHouse(
      {
        CLICKHOUSE_URL: withUser(s().CLICKHOUSE_URL, user, user && passwords()[user]),
        CLICKHOUSE_TLS_CA: s().CLICKHOUSE_TLS_CA,
      },
      database,
    );
  const other = uniqueName('chacl');
  const table = uniqueName('chacl_t');
  const value = async (client: ReturnType<typeof as>, query: string) =>
    Number((await (await client.query({ query, format: 'JSONEachRow' })).json<{ v: number | string }>())[0]?.v);

  beforeAll(async () => {
    const admin = as('admin');
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${other}` });
    await admin.command({ query: `CREATE TABLE default.${table} (x UInt8) ENGINE = Memory` });
    await admin.close();
  });

  afterAll(async () => {
    const admin = as('admin');
    await admin.command({ query: `DROP TABLE IF EXISTS default.${table}` });
    await admin.command({ query: `DROP DATABASE IF EXISTS ${other}` });
    await admin.close();
  });

  it('the server speaks HTTPS only and the URL asks for it', () => {
    expect(new URL(s().CLICKHOUSE_URL).protocol).toBe('https:');
  });

  it.each(['sink', 'monitor', 'console', 'analyst'] as const)('lets %s in with its own password', async (user) => {
    const client = as(user);
    expect(await value(client, 'SELECT 1 AS v')).toBe(1);
    expect(await value(client, `SELECT count() AS v FROM default.${table}`)).toBe(0);
    await client.close();
  });

  it('lets the writers insert into the pipeline database', async () => {
    const sink = as('sink');
    await sink.insert({ table, values: [{ x: 7 }], format: 'JSONEachRow' });
    await sink.close();
    const analyst = as('analyst');
    expect(await value(analyst, `SELECT sum(x) AS v FROM default.${table}`)).toBe(7);
    await analyst.close();
  });

  it('refuses the read-only analyst any write or setting', async () => {
    const analyst = as('analyst');
    await expect(analyst.insert({ table, values: [{ x: 1 }], format: 'JSONEachRow' })).rejects.toThrow(/readonly/i);
    await expect(analyst.command({ query: `DROP TABLE default.${table}` })).rejects.toThrow(/readonly/i);
    await analyst.close();
  });

  it('refuses a role a database other than the pipeline one', async () => {
    const sink = as('sink', other);
    await expect(sink.command({ query: `CREATE TABLE ${other}.t (x UInt8) ENGINE = Memory` })).rejects.toThrow(
      /Access denied|not allowed/i,
    );
    await sink.close();
  });

  it('refuses no credentials, the default user and a wrong password', async () => {
    // Without a user the client logs in as `default`, which does not exist here.
    const refusals = [
      [withUser(s().CLICKHOUSE_URL), /Unknown user default/],
      [withUser(s().CLICKHOUSE_URL, 'sink', 'wrong'), /Wrong password for user sink/],
    ] as const;
    for (const [url, why] of refusals) {
      const client = createClickHouse({ CLICKHOUSE_URL: url, CLICKHOUSE_TLS_CA: s().CLICKHOUSE_TLS_CA });
      await expect(value(client, 'SELECT 1 AS v')).rejects.toThrow(why);
      await client.close();
    }
  });

  it('refuses a client that does not speak TLS', async () => {
    const url = new URL(s().CLICKHOUSE_URL);
    url.protocol = 'http:';
    const client = createClickHouse(url.toString());
    await expect(value(client, 'SELECT 1 AS v')).rejects.toThrow();
    await client.close();
  });
});
