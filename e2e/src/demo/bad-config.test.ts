import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function runDemo(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(KAFKA_|SCHEMA_REGISTRY_|REDIS_|CLICKHOUSE_)/.test(k)),
  );
  return spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'e2e', 'src', 'demo', 'main.ts')], {
    cwd: root,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const servers = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
  REDIS_URL: 'redis://127.0.0.1:6379',
  CLICKHOUSE_URL: 'http://127.0.0.1:8123',
};

describe('bad configuration stops the demo at start, naming the variable', () => {
  it('a malformed variable: exit 78 and the variable with what was given', () => {
    const result = runDemo({ ...servers, KAFKA_BROKERS: 'kafka-without-port' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain("KAFKA_BROKERS 'kafka-without-port' is not host:port");
    expect(result.stdout).not.toContain('Servers');
    expect(result.stdout).not.toContain('Run demo-');
  });

  it('a malformed URL: exit 78 naming SCHEMA_REGISTRY_URL', () => {
    const result = runDemo({ ...servers, SCHEMA_REGISTRY_URL: 'registry:8081' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('SCHEMA_REGISTRY_URL must be a http or https URL');
  });

  it('only some server variables set: exit 1 naming the missing ones', () => {
    const result = runDemo({ KAFKA_BROKERS: servers.KAFKA_BROKERS });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('SCHEMA_REGISTRY_URL, REDIS_URL, CLICKHOUSE_URL not');
  });
});
