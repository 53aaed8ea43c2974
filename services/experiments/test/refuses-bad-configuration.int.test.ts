import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CONFIG } from '@pipeline/shared';
import { securityEnv, servers } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', '..', 'node_modules', '.bin', 'tsx');

/** Starts the service the way `npm run experiments` would, and returns how it ended. */
function start(vars: Record<string, string>) {
  const result = spawnSync(tsx, [join(here, '..', 'src', 'main.ts')], {
    env: {
      PATH: process.env.PATH,
      HTTP_AUTH_TOKENS: 'probe:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      ...securityEnv(),
      KAFKA_BROKERS: servers().KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: servers().SCHEMA_REGISTRY_URL,
      CLICKHOUSE_URL: servers().CLICKHOUSE_URL,
      ...vars,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stderr: result.stderr };
}

describe('bad configuration', () => {
  it('stops the service at start naming the variable', () => {
    const { code, stderr } = start({ EXPERIMENTS_ALPHA: '1.5', EXPERIMENTS_PROMOTION: 'yes' });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toMatch(/EXPERIMENTS_ALPHA must be a number strictly between 0 and 1, like 0.05 \(got '1.5'\)/);
    expect(stderr).toMatch(/EXPERIMENTS_PROMOTION must be recommend, dry-run or act \(got 'yes'\)/);
  });
});
