import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const base = {
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://r',
  CLICKHOUSE_URL: 'http://c',
};

function fails(vars: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...base, ...vars });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('defaults: recommend only, α 0.05, power 0.8, the decision rules, 14 days of label lag', () => {
    const c = loadConfig(base);
    expect(c.EXPERIMENTS_PROMOTION).toBe('RECOMMEND');
    expect(c.EXPERIMENTS_ROLLBACK).toBe('RECOMMEND');
    expect(c.EXPERIMENTS_ALPHA).toBe(0.05);
    expect(c.EXPERIMENTS_POWER).toBe(0.8);
    expect(c.EXPERIMENTS_LABEL_LAG).toBe(14 * 86_400_000);
    expect(c.EXPERIMENTS_RULES_FILE).toMatch(/services\/decision\/rules\/fraud\.yaml$/);
    expect(c.EXPERIMENTS_MARGINS).toEqual({
      decline_rate: 0.002,
      review_rate: 0.01,
      latency_ms: 20,
      fp_per_1000_genuine: 2,
    });
    expect(loadConfig({ ...base, EXPERIMENTS_PROMOTION: 'dry-run', EXPERIMENTS_ROLLBACK: 'act' })).toMatchObject({
      EXPERIMENTS_PROMOTION: 'DRY_RUN',
      EXPERIMENTS_ROLLBACK: 'ACT',
    });
  });

  it('names the variable of a bad value', () => {
    expect(fails({ EXPERIMENTS_ALPHA: '0' }).variables).toEqual(['EXPERIMENTS_ALPHA']);
    expect(fails({ EXPERIMENTS_POWER: '80%' }).variables).toEqual(['EXPERIMENTS_POWER']);
    expect(fails({ EXPERIMENTS_START: 'yesterday' }).variables).toEqual(['EXPERIMENTS_START']);
    expect(fails({ EXPERIMENTS_LABEL_LAG: 'two weeks' }).variables).toEqual(['EXPERIMENTS_LABEL_LAG']);
    const margins = fails({ EXPERIMENTS_MARGINS: 'decline_rate=0.01,auc=0.1' });
    expect(margins.variables).toEqual(['EXPERIMENTS_MARGINS']);
    expect(margins.message).toMatch(
      /'auc=0.1' is not <guardrail>=<number >= 0>; guardrails: decline_rate, review_rate, latency_ms, fp_per_1000_genuine/,
    );
    expect(fails({ EXPERIMENTS_CHAMPION_LIMITS: 'decline_rate=-1' }).variables).toEqual([
      'EXPERIMENTS_CHAMPION_LIMITS',
    ]);
  });

  it('refuses a rules file that is missing or not YAML, and a missing registry', () => {
    expect(fails({ EXPERIMENTS_RULES_FILE: '/nowhere/rules.yaml' }).message).toMatch(
      /EXPERIMENTS_RULES_FILE \/nowhere\/rules.yaml does not exist/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'experiments-config-')), 'rules.yaml');
    writeFileSync(file, 'experiment: [unclosed');
    expect(fails({ EXPERIMENTS_RULES_FILE: file }).variables).toEqual(['EXPERIMENTS_RULES_FILE']);
    writeFileSync(file, 'experiment:\n  name: x\n  variants: [{ name: a, share: half }]\n');
    expect(fails({ EXPERIMENTS_RULES_FILE: file }).message).toMatch(/experiment.variants.0.share/);
    expect(fails({ MODEL_REGISTRY_DIR: '/nowhere/models' }).variables).toEqual(['MODEL_REGISTRY_DIR']);
  });

  it("recommendations: the ranking policy's experiment by default; an unknown use case refused by name", () => {
    expect(loadConfig({ ...base, EXPERIMENTS_USE_CASE: 'recsys' }).EXPERIMENTS_RULES_FILE).toMatch(
      /services\/decision\/rules\/recsys\.yaml$/,
    );
    const error = fails({ EXPERIMENTS_USE_CASE: 'ads' });
    expect(error.message).toContain('EXPERIMENTS_USE_CASE');
    expect(error.message).toContain('must be fraud or recsys');
  });
});
