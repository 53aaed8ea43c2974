import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKeys, KEY_TAGS } from '@pipeline/decision';
import { RECSYS_ENTITIES, recsysFeatureSet } from '@pipeline/feature-sets';
import { requestVectorsKey, taggedKeys } from '@pipeline/features';
import {
  auditSink,
  connectRedis,
  createClickHouse,
  createLogger,
  identifier,
  literal,
  migrate,
  type RedisClient,
  raw,
  scanKeys,
  sql,
  tokenizerFromEnv,
} from '@pipeline/shared';
import type {
  EnrichedRequestRow,
  InteractionRow,
  RecommendationRow,
  RecsysLabelRow,
  RecsysScoreRow,
  RequestRow,
} from '@pipeline/sink';
import { servers, uniqueName } from '@pipeline/testing';
import { fraudTopics, recsysTopics } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erase } from '../src/erasure/erase.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const s = servers();
const database = uniqueName('console_user_erasure').replace(/[^a-z0-9_]/gi, '_');
const clickhouse = createClickHouse(s, database);
const prefix = `${uniqueName('user-erasure')}:`;
const prefixes = { features: `${prefix}f:`, decision: `${prefix}d:` };
const KEYS = `k2:${'user-erasure-new-secret-'.repeat(2)},k1:${'user-erasure-old-secret-'.repeat(2)}`;
const tokens = tokenizerFromEnv({ PII_TOKEN_KEYS: KEYS });
const oldTokens = tokenizerFromEnv({ PII_TOKEN_KEYS: KEYS.split(',')[1] as string });
const T = Date.UTC(2026, 2, 1) / 1000;
const entities = [...recsysFeatureSet.entities, ...Object.values(RECSYS_ENTITIES)];
// One per tag: the served set's entities are also among RECSYS_ENTITIES.
const userEntities = [...new Map(entities.filter((e) => e.key.includes('user_id')).map((e) => [e.tag, e])).values()];

const insert = (table: string, values: object[]) => clickhouse.insert({ table, values, format: 'JSONEachRow' });

/**
 * One user's recommendation traffic as the sink stores it: an interaction, a request (served, scored,
 * ranked, clicked), a dead-lettered request; `token` is the user's token (the old key's for `r2`).
 */
async function seedRows(user: string, token: string) {
  const request = (id: string, t: string): RequestRow => ({
    request_id: id,
    event_time: T,
    event_time_ms: T * 1000,
    user_id: t,
    surface: 'home',
    device: null,
    current_item_id: null,
    candidate_item_ids: ['i1', 'i2'],
    candidate_source: null,
    k: 2,
  });
  const interaction: InteractionRow = {
    event_id: `${user}-e1`,
    event_time: T,
    event_time_ms: T * 1000,
    user_id: token,
    item_id: 'i1',
    category: 'shoes',
    type: 'CLICK',
    recommendation_id: `${user}-r1`,
    position: 0,
    price_minor: null,
  };
  const enriched: EnrichedRequestRow = {
    request_id: `${user}-r1`,
    event_time: T,
    user_id: token,
    feature_set: recsysFeatureSet.name,
    feature_set_version: recsysFeatureSet.version,
    candidate_item_ids: ['i1', 'i2'],
    candidate_categories: ['shoes', '-'],
    feature_values: [recsysFeatureSet.names.map(() => 1), recsysFeatureSet.names.map(() => 0)],
    computed_at: T,
    computed_at_ms: T * 1000 + 1,
  };
  const score: RecsysScoreRow = {
    request_id: `${user}-r1`,
    user_id: token,
    event_time: T,
    model_name: 'recsys_rank',
    model_version: '1',
    feature_set_version: 1,
    scores: [0.9, 0.1],
    shadow: false,
    latency_ms: 1,
    scored_at: T,
    scored_at_ms: T * 1000 + 2,
  };
  const recommendation: RecommendationRow = {
    request_id: `${user}-r1`,
    user_id: token,
    event_time: T,
    item_ids: ['i1', 'i2'],
    item_scores: [0.9, 0.1],
    item_reason_codes: [[], []],
    path: 'MODEL_AND_RULES',
    rule_set_version: 'v1',
    model_name: 'recsys_rank',
    model_version: '1',
    feature_set_version: 1,
    experiment_variant: 'control',
    decided_at: T,
    decided_at_ms: T * 1000 + 3,
  };
  const label: RecsysLabelRow = {
    interaction_id: `${user}-e1`,
    recommendation_id: `${user}-r1`,
    user_id: token,
    item_id: 'i1',
    position: 0,
    outcome: 'CLICK',
    recommendation_time: T,
    recommendation_time_ms: T * 1000,
    label_time: T + 5,
    label_time_ms: (T + 5) * 1000,
  };
  await insert('recsys_interactions', [interaction]);
  // r2 was stored under the ring's previous key: erased too.
  await insert('recsys_requests', [request(`${user}-r1`, token), request(`${user}-r2`, oldTokens.token('user', user))]);
  await insert('recsys_enriched_requests', [enriched]);
  await insert('recsys_scores', [score]);
  await insert('recsys_recommendations', [recommendation]);
  await insert('recsys_labels', [label]);
  await insert('dead_letters', [
    {
      topic: recsysTopics.requests.name,
      partition: 0,
      offset: Number(user.slice(1)),
      service: 'features',
      error_type: 'MalformedMessageError',
      error: 'late request',
      original_key: token,
      original_value_length: 10,
      event_time: T,
      dead_lettered_at: T,
      dead_lettered_at_ms: T * 1000,
    },
  ]);
}

/** The user's Redis state: every user entity's keys, the request lookups, the decision engine's keys. */
async function seedRedis(redis: RedisClient, user: string) {
  const keys: string[] = [];
  for (const e of userEntities) {
    const id = e.key.map((field) => (field === 'user_id' ? user : 'shoes')).join('|');
    const k = taggedKeys(prefixes.features, e.tag, id);
    keys.push(k.state, `${k.idBuckets}7`);
  }
  keys.push(requestVectorsKey(prefixes.features, `${user}-r1`), requestVectorsKey(prefixes.features, `${user}-r2`));
  const decision = createKeys(prefixes.decision, KEY_TAGS.user);
  keys.push(decision.scores(user, `${user}-r1`), decision.decided(user, `${user}-r1`));
  const unique = [...new Set(keys)];
  for (const key of unique) await redis.set(key, 'x');
  return unique;
}

async function countOf(table: string, column: string, values: readonly string[]) {
  const [row] = await (
    await clickhouse.query({
      query: sql`SELECT count() AS n FROM ${identifier(table)} WHERE ${identifier(column)} IN (${raw(values.map((v) => literal(v)).join(', '))})`,
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>();
  return Number(row?.n ?? 0);
}

const TABLES = [
  'recsys_interactions',
  'recsys_requests',
  'recsys_enriched_requests',
  'recsys_scores',
  'recsys_recommendations',
  'recsys_labels',
];

describe('erasing a recommendation user', () => {
  let redis: RedisClient;
  const itemKey = taggedKeys(prefixes.features, RECSYS_ENTITIES.itemViews.tag, 'i1').state;

  beforeAll(async () => {
    await migrate({ url: s, database, logger: createLogger('user-erasure-test', 'error') });
    redis = await connectRedis({ ...s, REDIS_CLUSTER: false });
  });
  afterAll(async () => {
    for (const key of await scanKeys(redis, `${prefix}*`)) await redis.unlink(key);
    redis.disconnect();
    await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await clickhouse.close();
  });

  it("leaves no row, dead letter or Redis key of theirs, and another user's untouched", async () => {
    const erased = tokens.tokensFor('user', 'U1');
    const kept = tokens.tokensFor('user', 'U2');
    await seedRows('U1', tokens.token('user', 'U1'));
    await seedRows('U2', tokens.token('user', 'U2'));
    const erasedKeys = await seedRedis(redis, 'U1');
    const keptKeys = await seedRedis(redis, 'U2');
    await redis.set(itemKey, 'x');
    const keptBefore = await Promise.all(TABLES.map((t) => countOf(t, 'user_id', kept)));
    expect(keptBefore.every((n) => n > 0)).toBe(true);
    expect(await countOf('recsys_requests', 'user_id', erased)).toBe(2);

    const progress: string[] = [];
    const summary = await erase(
      { subject: 'user', id: 'U1', actor: 'Dee Protection', reason: 'ticket 9' },
      {
        clickhouse,
        redis,
        tokenizer: tokens,
        prefixes,
        entities,
        topics: [...Object.values(fraudTopics), ...Object.values(recsysTopics)],
        audit: auditSink(clickhouse),
        service: 'erase-test',
        progress: (line) => progress.push(line),
        pollMs: 200,
      },
    );

    expect(summary.complete).toBe(true);
    expect(summary.tokens).toEqual(erased);
    // The plan is said before anything is removed.
    expect(progress.findIndex((l) => l.startsWith('plan: '))).toBeLessThan(
      progress.findIndex((l) => l.startsWith('Redis: ')),
    );
    expect(progress.find((l) => l.startsWith('plan: '))).toContain('recsys_enriched_requests.user_id');
    expect(summary.redisKeys).toEqual({ features: erasedKeys.length - 2, decision: 2 });
    const rowsBefore = Object.fromEntries(
      summary.clickhouse.filter((f) => f.before > 0).map((f) => [f.table, f.before]),
    );
    expect(rowsBefore).toEqual({
      dead_letters: 1,
      recsys_interactions: 1,
      recsys_requests: 2,
      recsys_enriched_requests: 1,
      recsys_scores: 1,
      recsys_recommendations: 1,
      recsys_labels: 1,
    });
    expect(summary.kafka.every((l) => l.startsWith('recsys.') || l.startsWith('dead-letters'))).toBe(true);

    for (const table of TABLES) expect(await countOf(table, 'user_id', erased), table).toBe(0);
    expect(await countOf('dead_letters', 'original_key', erased)).toBe(0);
    const left = (await redis.exists(...erasedKeys)) as number;
    expect(left).toBe(0);

    expect(await Promise.all(TABLES.map((t) => countOf(t, 'user_id', kept)))).toEqual(keptBefore);
    expect(await countOf('dead_letters', 'original_key', kept)).toBe(1);
    expect(await redis.exists(...keptKeys, itemKey)).toBe(keptKeys.length + 1);

    const [audit] = await (
      await clickhouse.query({
        query: sql`SELECT actor, reason, details FROM audit_log WHERE action = 'erasure' AND subject = ${erased[0] as string}`,
        format: 'JSONEachRow',
      })
    ).json<{ actor: string; reason: string; details: string }>();
    expect(audit).toMatchObject({ actor: 'Dee Protection', reason: 'ticket 9' });
    expect(JSON.parse(audit?.details ?? '{}')).toMatchObject({ kind: 'user', complete: true });
    expect(audit?.details).not.toContain('U1');
  });

  it.each([
    [['--user'], /--user <value>' argument missing/],
    [['--user', 'U 1'], /--user: invalid user id/],
    [['--user', 'U1', '--customer', 'C1'], /not both/],
    [[], /--customer or --user is missing/],
  ])('refuses the arguments %j: exit 2 with the reason, before touching a server', async (args, reason) => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(root, 'services', 'console', 'src', 'erasure', 'erase-cli.ts'), ...args],
        { cwd: root, env: { ...process.env, ...s } },
      );
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('exit', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(reason);
    expect(stderr).toContain('usage: npm run erase');
  });
});
