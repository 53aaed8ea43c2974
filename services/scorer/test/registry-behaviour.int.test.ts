import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelContractError, ModelLoadError, RegistryError } from '../src/errors.js';
import { loadModel } from '../src/models.js';
import { createScoringPool, type ScoringPool } from '../src/pool.js';
import { servingSet } from '../src/registry/aliases.js';
import { fileSha256 } from '../src/registry/file-registry.js';
import { registriesUnderTest } from '../src/registry/test-registries.js';

let pool: ScoringPool;
beforeAll(() => {
  pool = createScoringPool({ threads: 1 });
});
afterAll(() => pool.close());

const clock = () => {
  let t = Date.parse('2026-03-01T00:00:00Z');
  return () => {
    t += 1000;
    return new Date(t);
  };
};

// The same behaviour from both implementations of ModelRegistry, against a real MLflow server.
describe.each(['file', 'mlflow'] as const)('model registry (%s)', (kind) => {
  const open = () => registriesUnderTest[kind](clock());

  it('resolves the aliases, and every version with its metadata and a model file matching its checksum', async () => {
    const t = await open();
    const v1 = `${(await t.registry.list())[0]?.name}@1`;
    const v2 = await t.addVersion('2');
    const aliases = await t.registry.aliases();
    expect(aliases.champion).toBe(v1);
    expect(aliases.challenger).toBeNull();
    expect(aliases.shadow).toEqual([]);
    expect((await t.registry.list()).map((m) => `${m.name}@${m.version}`)).toEqual([v1, v2]);
    const meta = await t.registry.metadata(v2);
    expect(meta.feature_set.names).toEqual(fraudFeatureSet.names);
    const path = await t.registry.artifact(v2);
    expect(await fileSha256(path)).toBe(meta.sha256);
  });

  it('promotes with who and why, archives the replaced champion, and reads it all back from a fresh client', async () => {
    const t = await open();
    const v1 = (await t.registry.aliases()).champion as string;
    const v2 = await t.addVersion('2');
    const v3 = await t.addVersion('3');
    await t.registry.promote(v3, 'shadow', { by: 'ana', why: 'compare on live traffic' });
    await t.registry.promote(v2, 'challenger', { by: 'ana', why: 'A/B' });
    await t.registry.promote(v2, 'champion', { by: 'bo', why: 'AP 0.61 vs 0.59' });
    const read = await t.reopen().aliases();
    expect(read.champion).toBe(v2);
    expect(read.challenger).toBeNull();
    expect(read.shadow).toEqual([v3]);
    expect(read.archived).toEqual([v1]);
    expect(servingSet(read)).toEqual({ champion: v2, shadows: [v3] });
    expect(read.history.map((h) => [h.action, h.ref, h.alias, h.by, h.why, h.previous])).toEqual([
      ['promote', v3, 'shadow', 'ana', 'compare on live traffic', null],
      ['promote', v2, 'challenger', 'ana', 'A/B', null],
      ['promote', v2, 'champion', 'bo', 'AP 0.61 vs 0.59', v1],
    ]);
    expect(read.history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);
  });

  it('rolls back to the champion before the last champion change, recorded with who and why; twice goes forward again', async () => {
    const t = await open();
    const v1 = (await t.registry.aliases()).champion as string;
    const v2 = await t.addVersion('2');
    await t.registry.promote(v2, 'champion', { by: 'bo', why: 'better AP' });
    const back = await t.registry.rollback({ by: 'cy', why: 'decline rate doubled' });
    expect(back.champion).toBe(v1);
    const read = await t.reopen().aliases();
    expect(read.champion).toBe(v1);
    expect(read.archived).toEqual([v2]);
    expect(read.history.at(-1)).toMatchObject({
      action: 'rollback',
      by: 'cy',
      why: 'decline rate doubled',
      ref: v1,
      previous: v2,
    });
    await t.registry.rollback({ by: 'cy', why: 'false alarm' });
    expect((await t.reopen().aliases()).champion).toBe(v2);
  });

  it('refuses a rollback with no earlier champion, and a promotion of a version it does not hold', async () => {
    const t = await open();
    const v1 = (await t.registry.aliases()).champion as string;
    await expect(t.registry.rollback({ by: 'cy', why: 'oops' })).rejects.toThrow(/nothing to roll back to/);
    const unknown = `${v1.split('@')[0]}@99`;
    await expect(t.registry.promote(unknown, 'champion', { by: 'cy', why: 'x' })).rejects.toBeInstanceOf(RegistryError);
    expect((await t.reopen().aliases()).champion).toBe(v1);
  });

  it('serves a sound version and refuses one whose file does not match its checksum or whose contract is not the feature set', async () => {
    const t = await open();
    const options = { featureSet: fraudFeatureSet, pool, shadow: true, explain: false };
    const good = await t.addVersion('2');
    const corrupt = await t.addVersion('3', (meta, dir) => {
      const file = join(dir, meta.file);
      const bytes = readFileSync(file);
      bytes[bytes.length - 1] = (bytes.at(-1) as number) ^ 0xff;
      writeFileSync(file, bytes);
    });
    const otherSet = await t.addVersion('4', (meta) => {
      meta.feature_set = { ...meta.feature_set, version: meta.feature_set.version + 1 };
    });
    const served = await loadModel(t.registry, good, options);
    expect(served.version).toBe('2');
    await expect(loadModel(t.registry, corrupt, options)).rejects.toBeInstanceOf(ModelLoadError);
    await expect(loadModel(t.registry, corrupt, options)).rejects.toThrow(/is corrupt/);
    await expect(loadModel(t.registry, otherSet, options)).rejects.toBeInstanceOf(ModelContractError);
  });
});
