import { randomBytes } from 'node:crypto';
import {
  type Admin,
  createClickHouse,
  createKafka,
  createRedisClient,
  type Kafka,
  kafkaSecurityOf,
  type RedisClient,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { allTopics } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCredentials } from './credentials.js';
import { applyAcls, pipelineAcls, removeAcls } from './kafka-acls.js';
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

describe('Kafka: one SCRAM principal per service, ACLs from the topology', () => {
  // The topology's ACLs, applied to this run's copies of the topics and groups.
  const run = uniqueName('kacl');
  const naming = {
    topic: (name: string) => `${run}.${name}`,
    groupPrefix: (principal: string) => `${run}.${principal}`,
  };
  const acls = pipelineAcls(naming);
  const topic = (name: string) => naming.topic(name);
  let admin: Admin;
  const clients: Kafka[] = [];
  const kafkaAs = (user?: string, password?: string, protocol = user ? 'SASL_SSL' : 'SSL') => {
    const file = s().PIPELINE_CREDENTIALS;
    if (user && !password && !file)
      throw new Error('PIPELINE_CREDENTIALS is not set: the principal tests need the local set passwords');
    const security = kafkaSecurityOf({
      KAFKA_SECURITY_PROTOCOL: protocol,
      KAFKA_TLS_CA: protocol.endsWith('SSL') ? s().KAFKA_TLS_CA : undefined,
      KAFKA_SASL_USERNAME: user,
      KAFKA_SASL_PASSWORD: user ? (password ?? ensureCredentials(file as string).kafka[user]) : undefined,
    });
    const kafka = createKafka({
      brokers: s().KAFKA_BROKERS.split(','),
      clientId: `${run}-${user ?? 'anonymous'}`,
      security,
    });
    clients.push(kafka);
    return kafka;
  };
  const produce = async (kafka: Kafka, to: string) => {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic: to, messages: [{ key: 'k', value: 'v' }] });
    } finally {
      await producer.disconnect();
    }
  };
  const consumeOne = async (kafka: Kafka, from: string, group: string) => {
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: from, fromBeginning: true });
      return await new Promise<string>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  };

  beforeAll(async () => {
    const kafka = testKafka('kafka-acl-test');
    for (const t of allTopics) await createTopic(kafka, topic(t.name));
    admin = kafka.admin();
    await admin.connect();
    await applyAcls(admin, acls);
  });

  afterAll(async () => {
    await removeAcls(admin, acls);
    await admin.disconnect();
  });

  it('the broker takes SASL over TLS only, and the servers name the protocol', () => {
    expect(s().KAFKA_SECURITY_PROTOCOL).toBe('SASL_SSL');
  });

  it('lets each principal produce and consume what the topology says', async () => {
    await produce(kafkaAs('producers'), topic('transactions'));
    expect(await consumeOne(kafkaAs('features'), topic('transactions'), `${run}.features`)).toBe('v');
    await produce(kafkaAs('features'), topic('transactions.enriched'));
    expect(await consumeOne(kafkaAs('scorer'), topic('transactions.enriched'), `${run}.scorer`)).toBe('v');
    // Every service may dead-letter.
    await produce(kafkaAs('scorer'), topic('dead-letters'));
  });

  it('refuses a topic the principal does not consume, or produce to', async () => {
    // The sink stores everything of the pipeline but not the monitor's alerts (the operators read those).
    await produce(kafkaAs('monitor'), topic('monitor.alerts'));
    await expect(consumeOne(kafkaAs('sink'), topic('monitor.alerts'), `${run}.sink`)).rejects.toThrow(/Not authorized/);
    await expect(produce(kafkaAs('sink'), topic('scores'))).rejects.toThrow(/Not authorized/);
    await expect(produce(kafkaAs('scorer'), topic('decisions'))).rejects.toThrow(/Not authorized/);
  });

  it("refuses another principal's consumer group", async () => {
    await produce(kafkaAs('features'), topic('transactions.enriched'));
    // The decision engine reads enriched transactions, but only in groups named after itself. The
    // broker answers FindCoordinator with GROUP_AUTHORIZATION_FAILED, which kafkajs reports as no coordinator.
    await expect(consumeOne(kafkaAs('decision'), topic('transactions.enriched'), `${run}.scorer`)).rejects.toThrow(
      /Failed to find group coordinator|Not authorized/,
    );
    expect(await consumeOne(kafkaAs('decision'), topic('transactions.enriched'), `${run}.decision`)).toBe('v');
  });

  it('refuses a wrong password, and a client without credentials', async () => {
    await expect(produce(kafkaAs('features', 'not-the-password'), topic('transactions.enriched'))).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
    // TLS without SASL, and plaintext: the SASL_SSL listener accepts neither.
    await expect(produce(kafkaAs(undefined, undefined, 'SSL'), topic('transactions'))).rejects.toThrow();
    await expect(produce(kafkaAs(undefined, undefined, 'PLAINTEXT'), topic('transactions'))).rejects.toThrow();
  });
});
