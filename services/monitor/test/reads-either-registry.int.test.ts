import { mlflowRegistry, RegistryError } from '@pipeline/scorer';
import { registriesUnderTest } from '@pipeline/scorer/testing';
import { describe, expect, it } from 'vitest';
import { readChampion, readModelInfo } from '../src/registry.js';

// What the monitor reads of the registry (drift reference windows, the champion to beat), from either.
describe.each(['file', 'mlflow'] as const)('the monitor reads the %s registry', (kind) => {
  it("finds the champion and a version's training window and feature set; a version it does not hold is undefined", async () => {
    const t = await registriesUnderTest[kind]();
    const champion = await readChampion(t.registry);
    expect(champion?.version).toBe('1');
    const ref = await t.addVersion('2', (meta) => {
      meta.training_window = {
        ...meta.training_window,
        train_from: '2026-01-01T00:00:00Z',
        train_to: '2026-01-31T00:00:00Z',
      };
    });
    const [name, version] = ref.split('@') as [string, string];
    const info = await readModelInfo(t.registry, name, version);
    expect(info).toMatchObject({
      name,
      version: '2',
      trainFrom: Date.parse('2026-01-01T00:00:00Z'),
      trainTo: Date.parse('2026-01-31T00:00:00Z'),
      featureSet: { name: 'fraud_core', version: 2 },
    });
    expect(await readModelInfo(t.registry, name, '99')).toBeUndefined();
    expect(await readModelInfo(t.registry, 'no-such-model', '1')).toBeUndefined();
  });
});

describe('the monitor and an unreachable MLflow', () => {
  it('throws a retriable error instead of taking the model for unknown (a trigger is not dead-lettered for it)', async () => {
    const registry = mlflowRegistry('http://127.0.0.1:9', { cacheDir: '/nonexistent' });
    const attempt = readModelInfo(registry, 'fraud_gbdt', '2');
    await expect(attempt).rejects.toBeInstanceOf(RegistryError);
    await expect(attempt).rejects.toMatchObject({ retriable: true });
    await expect(readChampion(registry)).rejects.toMatchObject({ retriable: true });
  });
});
