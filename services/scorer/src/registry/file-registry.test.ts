import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import { fileRegistry, formatAliasFile } from './file-registry.js';
import { tempRegistry } from './test-registry.js';

describe('file registry', () => {
  it('lists versions with metadata, resolves artifacts, and writes alias changes to the file', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const registry = fileRegistry(t.dir, () => new Date('2026-02-03T04:05:06Z'));
    expect((await registry.list()).map((m) => `${m.name}@${m.version}`)).toEqual(['fraud_gbdt@1', 'fraud_gbdt@2']);
    expect(await registry.artifact('fraud_gbdt@2')).toBe(join(t.dir, 'fraud_gbdt', '2', 'model.onnx'));
    await registry.promote('fraud_gbdt@2', 'champion', { by: 'ana', why: 'test' });
    const onDisk = JSON.parse(readFileSync(join(t.dir, 'aliases.json'), 'utf8'));
    expect(onDisk.champion).toBe('fraud_gbdt@2');
    expect(onDisk.history[0]).toMatchObject({ by: 'ana', why: 'test', at: '2026-02-03T04:05:06.000Z' });
    await registry.rollback({ by: 'bo', why: 'revert' });
    expect((await registry.aliases()).champion).toBe('fraud_gbdt@1');
  });

  it('refuses to promote a version that is not registered', async () => {
    const registry = fileRegistry(tempRegistry().dir);
    await expect(registry.promote('fraud_gbdt@9', 'shadow', { by: 'a', why: 'b' })).rejects.toThrow(RegistryError);
  });

  it('the committed registry has a champion whose metadata carries the contract, window and metrics', async () => {
    const registry = fileRegistry(join(import.meta.dirname, '../../../../models'));
    const champion = (await registry.aliases()).champion as string;
    const meta = await registry.metadata(champion);
    expect(meta.feature_set.name).toBe('fraud_core');
    expect(meta.training_window.train_from < meta.training_window.test_from).toBe(true);
    expect(meta.metrics.roc_auc).toBeGreaterThan(0.5);
  });
});

describe('formatAliasFile', () => {
  it('writes lists of references on one line, as the formatter does', () => {
    const text = formatAliasFile({
      champion: 'm@1',
      challenger: null,
      shadow: ['m@2', 'm@3'],
      archived: [],
      history: [],
    });
    expect(text).toContain('"shadow": ["m@2", "m@3"],');
    expect(JSON.parse(text).shadow).toEqual(['m@2', 'm@3']);
  });
});
