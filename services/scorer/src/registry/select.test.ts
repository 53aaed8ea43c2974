import { ConfigError } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { defaultRegistryDir, parseConfig } from '../config.js';
import { openRegistry } from './select.js';

const required = {
  SERVICE_NAME: 'scorer',
  KAFKA_BROKERS: '127.0.0.1:9092',
  HTTP_AUTH_TOKENS: 'viewer:read:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
};

const refusal = (env: Record<string, string>): ConfigError => {
  try {
    parseConfig({ ...required, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
};

describe('choosing the model registry', () => {
  it('is the file registry in the committed models/ by default', () => {
    const config = parseConfig(required);
    expect(config.MODEL_REGISTRY).toBe('file');
    expect(openRegistry(config).dir).toBe(defaultRegistryDir);
  });

  it("is MLflow's with MODEL_REGISTRY=mlflow and its tracking URI, in the pipeline scope unless told", () => {
    const config = parseConfig({
      ...required,
      MODEL_REGISTRY: 'mlflow',
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000/',
    });
    expect(openRegistry(config).dir).toBe('mlflow http://127.0.0.1:5000 (pipeline.registry=pipeline)');
    const scoped = parseConfig({
      ...required,
      MODEL_REGISTRY: 'mlflow',
      MLFLOW_TRACKING_URI: 'http://mlflow:5000',
      MLFLOW_REGISTRY_SCOPE: 'fraud-eu',
    });
    expect(openRegistry(scoped).dir).toBe('mlflow http://mlflow:5000 (pipeline.registry=fraud-eu)');
  });

  it('refuses a bad configuration naming the variable', () => {
    const kind = refusal({ MODEL_REGISTRY: 'mlfow' });
    expect(kind.variables).toEqual(['MODEL_REGISTRY']);
    expect(kind.message).toMatch(/MODEL_REGISTRY must be one of file, mlflow \(got 'mlfow'\)/);
    const missing = refusal({ MODEL_REGISTRY: 'mlflow' });
    expect(missing.variables).toEqual(['MLFLOW_TRACKING_URI']);
    expect(missing.message).toMatch(/MLFLOW_TRACKING_URI is not set/);
    expect(refusal({ MODEL_REGISTRY: 'mlflow', MLFLOW_TRACKING_URI: '127.0.0.1:5000' }).variables).toEqual([
      'MLFLOW_TRACKING_URI',
    ]);
    expect(refusal({ MLFLOW_REGISTRY_SCOPE: 'a b' }).variables).toEqual(['MLFLOW_REGISTRY_SCOPE']);
    // A caller that skipped the parse is refused the same way.
    expect(() => openRegistry({ MODEL_REGISTRY: 'mlflow', MODEL_REGISTRY_DIR: 'models' })).toThrow(ConfigError);
  });
});
