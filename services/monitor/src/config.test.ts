import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadRetrainConfig } from './config.js';

const servers = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  CLICKHOUSE_URL: 'http://127.0.0.1:8123',
};

function thresholdsFile(text: string, name = 'thresholds.yaml'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'monitor-config-')), name);
  writeFileSync(path, text);
  return path;
}

function refusal(vars: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...servers, ...vars });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('monitor configuration', () => {
  it('has working defaults: every feature, every check, the thresholds of thresholds.ts', () => {
    const config = loadConfig(servers);
    expect(config.features).toHaveLength(35);
    expect(config.checks).toEqual(['DRIFT', 'QUALITY', 'PERFORMANCE', 'MIX']);
    expect(config.thresholds.drift).toMatchObject({ psi: 0.25, ks: 0.2, min_samples: 500 });
    expect(config.MONITOR_CLOCK).toBe('event');
    expect(config.MONITOR_WINDOW).toBe(86_400_000);
  });

  it('reads per-check and per-feature thresholds from a YAML file', () => {
    const path = thresholdsFile(
      'drift:\n  psi: 0.3\n  features:\n    event_amount: { psi: 0.1 }\nperformance:\n  min_roc_auc: 0.7\n',
    );
    const config = loadConfig({ ...servers, MONITOR_THRESHOLDS_FILE: path });
    expect(config.thresholds.drift.psi).toBe(0.3);
    expect(config.thresholds.drift.ks).toBe(0.2);
    expect(config.thresholds.drift.features.event_amount).toEqual({ psi: 0.1 });
    expect(config.thresholds.performance.min_roc_auc).toBe(0.7);
    expect(config.thresholds.performance.min_average_precision).toBe(0.3);
  });

  it('refuses an unknown feature in MONITOR_FEATURES, naming it and the variable', () => {
    const error = refusal({ MONITOR_FEATURES: 'event_amount,customer_shoe_size' });
    expect(error.variables).toEqual(['MONITOR_FEATURES']);
    expect(error.message).toMatch(/unknown features customer_shoe_size/);
  });

  it('refuses an unknown feature in the thresholds file', () => {
    const error = refusal({
      MONITOR_THRESHOLDS_FILE: thresholdsFile('drift:\n  features:\n    amount_typo: { ks: 0.1 }\n'),
    });
    expect(error.variables).toEqual(['MONITOR_THRESHOLDS_FILE']);
    expect(error.message).toMatch(/drift\.features\.amount_typo 'amount_typo' is not a feature/);
  });

  it('exempts calendar features from drift judgement by default, and refuses an unknown exempt name', () => {
    expect(loadConfig(servers).thresholds.drift.exempt).toEqual(['event_is_weekend']);
    expect(refusal({ MONITOR_THRESHOLDS_FILE: thresholdsFile('drift:\n  exempt: [weekday]\n') }).message).toMatch(
      /drift\.exempt\.0 'weekday' is not a feature/,
    );
  });

  it('refuses a negative threshold, an unknown field and a share above 1, naming each', () => {
    const path = thresholdsFile(
      JSON.stringify({ drift: { psi: -0.1 }, mix: { colour: 1 }, performance: { min_roc_auc: 1.5 } }),
      't.json',
    );
    const error = refusal({ MONITOR_THRESHOLDS_FILE: path });
    expect(error.message).toMatch(/drift\.psi must be >= 0/);
    expect(error.message).toMatch(/colour/);
    expect(error.message).toMatch(/performance\.min_roc_auc must be <= 1/);
  });

  it('defaults the dead-letter share to 1 % and refuses a negative one, naming the field', () => {
    expect(loadConfig(servers).thresholds.quality.dead_letter_share).toBe(0.01);
    const error = refusal({
      MONITOR_THRESHOLDS_FILE: thresholdsFile('quality:\n  dead_letter_share: -0.01\n', 't.yaml'),
    });
    expect(error.message).toMatch(/quality\.dead_letter_share must be >= 0/);
  });

  it('refuses a thresholds file that does not exist or does not parse', () => {
    expect(refusal({ MONITOR_THRESHOLDS_FILE: '/nonexistent/t.yaml' }).message).toMatch(/cannot be read/);
    expect(refusal({ MONITOR_THRESHOLDS_FILE: thresholdsFile('drift: [unclosed') }).message).toMatch(/not valid YAML/);
  });

  it('refuses bad variables, an unknown check and half a reference window', () => {
    expect(refusal({ MONITOR_CLOCK: 'sundial' }).message).toMatch(/MONITOR_CLOCK/);
    expect(refusal({ MONITOR_INTERVAL: '-1h' }).message).toMatch(/MONITOR_INTERVAL/);
    expect(refusal({ MONITOR_CHECKS: 'drift,vibes' }).message).toMatch(/unknown checks vibes/);
    expect(refusal({ MONITOR_REFERENCE_FROM: '2026-01-01T00:00:00Z' }).variables).toContain('MONITOR_REFERENCE_TO');
    expect(refusal({ MONITOR_START: 'yesterday' }).message).toMatch(/MONITOR_START .*ISO time/);
  });
});

describe('retraining job configuration', () => {
  it('has defaults and refuses a margin outside [0, 1]', () => {
    const config = loadRetrainConfig(servers);
    expect(config.RETRAIN_METRIC).toBe('average_precision');
    expect(config.RETRAIN_PYTHON).toMatch(/\.local\/trainer-venv\/bin\/python$/);
    expect(() => loadRetrainConfig({ ...servers, RETRAIN_MARGIN: '-0.1' })).toThrow(/RETRAIN_MARGIN/);
  });

  it("reads the scorer's registry choice, refusing MLflow without its address", () => {
    expect(loadRetrainConfig(servers).MODEL_REGISTRY).toBe('file');
    const mlflow = { ...servers, MODEL_REGISTRY: 'mlflow', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' };
    expect(loadRetrainConfig(mlflow).MLFLOW_TRACKING_URI).toBe('http://127.0.0.1:5000');
    expect(() => loadRetrainConfig({ ...servers, MODEL_REGISTRY: 'mlflow' })).toThrow(/MLFLOW_TRACKING_URI is not set/);
    expect(refusal({ MODEL_REGISTRY: 'files' }).variables).toEqual(['MODEL_REGISTRY']);
    expect(refusal({ MODEL_REGISTRY: 'mlflow' }).variables).toEqual(['MLFLOW_TRACKING_URI']);
  });
});
