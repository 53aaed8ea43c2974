import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CONFIG } from '@pipeline/shared';
import { securityEnv, servers } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', '..', 'node_modules', '.bin', 'tsx');

/** Starts a process the way `npm run monitor` / `npm run retrain` would, and returns how it ended. */
function start(entry: string, vars: Record<string, string>) {
  const result = spawnSync(tsx, [join(here, '..', 'src', entry)], {
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
  it('stops the monitor at start with a message naming the unknown feature and the variable', () => {
    const { code, stderr } = start('main.ts', { MONITOR_FEATURES: 'event_amount,card_colour' });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toMatch(
      /monitor: MONITOR_FEATURES names unknown features card_colour; the feature set fraud_core v2 has: /,
    );
  });

  it('stops it on a negative threshold, naming the file and the field', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'monitor-bad-')), 'thresholds.yaml');
    writeFileSync(file, 'drift:\n  psi: -0.2\nperformance:\n  min_recall: -1\n');
    const { code, stderr } = start('main.ts', { MONITOR_THRESHOLDS_FILE: file });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toContain(`invalid thresholds in ${file}`);
    expect(stderr).toMatch(/drift\.psi must be >= 0/);
    expect(stderr).toMatch(/performance\.min_recall must be >= 0/);
  });

  it('stops the retraining job on a bad variable', () => {
    const { code, stderr } = start('retrain-main.ts', { RETRAIN_METRIC: 'accuracy' });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toMatch(/RETRAIN_METRIC/);
  });
});
