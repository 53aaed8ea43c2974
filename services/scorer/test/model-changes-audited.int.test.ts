import {
  type AuditMessage,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createRegistryClient,
  identifier,
  migrate,
  sql,
} from '@pipeline/shared';
import { createTopic, readMessages, securityEnv, servers, testKafka, uniqueName } from '@pipeline/testing';
import { schemaFor } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModelCli } from '../src/cli/model-cli.js';
import { tempRegistry } from '../src/registry/test-registry.js';

async function cli(argv: string[], dir: string, env: Record<string, string>) {
  const err: string[] = [];
  const code = await runModelCli(argv, {
    out: () => {},
    err: (l) => err.push(l),
    env: { USER: 'ana', ...env },
    defaultDir: dir,
  });
  return { code, err: err.join('\n') };
}

describe('npm run model records its changes in the audit trail', () => {
  const database = uniqueName('model_audit');
  const clickhouse = () => createClickHouse(servers(), database);
  beforeAll(async () => {
    await migrate({ url: servers(), database, logger: createLogger('model-audit-test', 'silent') });
  });
  afterAll(async () => {
    const client = clickhouse();
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  });

  it('straight into audit_log with CLICKHOUSE_URL', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const { CLICKHOUSE_URL, CLICKHOUSE_TLS_CA } = servers();
    const env = { CLICKHOUSE_URL, CLICKHOUSE_DATABASE: database, ...(CLICKHOUSE_TLS_CA ? { CLICKHOUSE_TLS_CA } : {}) };
    const r = await cli(['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', 'AP up', '--actor', 'bo'], t.dir, env);
    expect(r).toEqual({ code: 0, err: '' });
    const client = clickhouse();
    const result = await client.query({
      query: 'SELECT actor, action, subject, reason, service FROM audit_log',
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { actor: 'bo', action: 'model.promote', subject: 'fraud_gbdt@2', reason: 'AP up', service: 'model-cli' },
    ]);
    await client.close();
  });

  it('on the audit topic with KAFKA_BROKERS, for the sink to store', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    await cli(['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', 'first'], t.dir, {});
    const kafka = testKafka(uniqueName('model-audit'));
    const topic = uniqueName('audit');
    await createTopic(kafka, topic, 1);
    const s = servers();
    const env = {
      ...securityEnv(),
      KAFKA_BROKERS: s.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
      MODEL_AUDIT_TOPIC: topic,
    };
    const r = await cli(['rollback', '--why', 'declines doubled'], t.dir, env);
    expect(r).toEqual({ code: 0, err: '' });
    const [message] = await readMessages(kafka, topic, 1);
    const decoder = createAvroSerde(createRegistryClient(s.SCHEMA_REGISTRY_URL)).decoder<AuditMessage>(
      schemaFor('pipeline/audit').type,
    );
    await decoder.prepare([message?.value ?? null]);
    expect(decoder.decode(message?.value ?? null)).toMatchObject({
      actor: 'ana',
      action: 'model.rollback',
      subject: 'fraud_gbdt@1',
      reason: 'declines doubled',
      service: 'model-cli',
    });
    expect(message?.key?.toString()).toBe('model-cli');
  });
});
