import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import { parseAliasFile } from './aliases.js';
import { fileRegistry, formatAliasFile } from './file-registry.js';
import { ALIAS_SCOPE_TAG, aliasChanges, aliasFileFrom, scopeTags } from './mlflow-registry.js';
import { findRef, promoteScoped, rollbackScoped, servingSetOf } from './scopes.js';
import { tempRegistry } from './test-registry.js';
import type { AliasFile, ModelMetadata } from './types.js';

const who = { by: 'ana', why: 'test', at: '2026-03-01T00:00:00.000Z' };
const committed = fileURLToPath(new URL('../../../../models/', import.meta.url));

/** Metadata of invented versions: the name says the feature set (f_* on fraud_core, r_* on recsys_core). */
const metadata = async (ref: string) =>
  ({ feature_set: { name: ref.startsWith('r_') ? 'recsys_core' : 'fraud_core' } }) as ModelMetadata;

const fraudOnly: AliasFile = {
  champion: 'f_gbdt@2',
  challenger: null,
  shadow: [],
  archived: ['f_gbdt@1'],
  history: [],
};

describe('alias scopes: a champion per feature set', () => {
  it('promotes a version of another feature set into its own scope, leaving the default scope as it was', async () => {
    const next = await promoteScoped(fraudOnly, 'r_rank@1', 'champion', who, metadata);
    expect(next).toMatchObject({ champion: 'f_gbdt@2', archived: ['f_gbdt@1'], history: [] });
    expect(next.scopes?.recsys_core).toMatchObject({ champion: 'r_rank@1', archived: [] });
    expect(next.scopes?.recsys_core?.history).toEqual([
      { ...who, action: 'promote', ref: 'r_rank@1', alias: 'champion', previous: null },
    ]);
    const again = await promoteScoped(next, 'r_rank@2', 'champion', who, metadata);
    expect(again.scopes?.recsys_core).toMatchObject({ champion: 'r_rank@2', archived: ['r_rank@1'] });
    expect(again.champion).toBe('f_gbdt@2');
    // A fraud promotion stays in the default (top-level) scope.
    const fraud = await promoteScoped(again, 'f_gbdt@3', 'shadow', who, metadata);
    expect(fraud.shadow).toEqual(['f_gbdt@3']);
    expect(fraud.scopes).toEqual(again.scopes);
    expect(findRef(fraud, 'r_rank@1')).toEqual({ scope: 'recsys_core', alias: 'archived' });
    expect(findRef(fraud, 'f_gbdt@3')).toEqual({ scope: null, alias: 'shadow' });
  });

  it('serves each feature set its own champion and shadows', async () => {
    let file = await promoteScoped(fraudOnly, 'r_rank@1', 'champion', who, metadata);
    file = await promoteScoped(file, 'r_rank@2', 'shadow', who, metadata);
    expect(await servingSetOf(file, 'recsys_core', metadata)).toEqual({ champion: 'r_rank@1', shadows: ['r_rank@2'] });
    expect(await servingSetOf(file, 'fraud_core', metadata)).toEqual({ champion: 'f_gbdt@2', shadows: [] });
    expect(await servingSetOf(fraudOnly, 'recsys_core', metadata)).toEqual({ champion: null, shadows: [] });
  });

  it('rolls back one scope only; without a scope, the default one', async () => {
    let file = await promoteScoped(fraudOnly, 'r_rank@1', 'champion', who, metadata);
    file = await promoteScoped(file, 'r_rank@2', 'champion', who, metadata);
    file = await promoteScoped(file, 'f_gbdt@3', 'champion', who, metadata);
    const recsys = await rollbackScoped(file, who, 'recsys_core', metadata);
    expect(recsys.scopes?.recsys_core?.champion).toBe('r_rank@1');
    expect(recsys.champion).toBe('f_gbdt@3');
    const fraud = await rollbackScoped(file, who, undefined, metadata);
    expect(fraud.champion).toBe('f_gbdt@2');
    expect(fraud.scopes?.recsys_core?.champion).toBe('r_rank@2');
    expect((await rollbackScoped(file, who, 'fraud_core', metadata)).champion).toBe('f_gbdt@2');
    await expect(rollbackScoped(file, who, 'other_core', metadata)).rejects.toThrow(/no alias of scope other_core/);
  });

  it('an empty registry gives its default scope to the first feature set promoted', async () => {
    const empty: AliasFile = { champion: null, challenger: null, shadow: [], archived: [], history: [] };
    const first = await promoteScoped(empty, 'r_rank@1', 'champion', who, metadata);
    expect(first.champion).toBe('r_rank@1');
    expect(first.scopes).toBeUndefined();
    const second = await promoteScoped(first, 'f_gbdt@1', 'champion', who, metadata);
    expect(second.champion).toBe('r_rank@1');
    expect(second.scopes?.fraud_core?.champion).toBe('f_gbdt@1');
  });

  it('reads and writes scopes in the alias file; a file without them reads as before', () => {
    const file: AliasFile = {
      ...fraudOnly,
      scopes: { recsys_core: { champion: 'r_rank@1', challenger: null, shadow: [], archived: [], history: [] } },
    };
    expect(parseAliasFile(JSON.parse(formatAliasFile(file)), 'a.json')).toEqual(file);
    expect(parseAliasFile(JSON.parse(formatAliasFile(fraudOnly)), 'a.json')).toEqual(fraudOnly);
    expect(() => parseAliasFile({ ...fraudOnly, scopes: [] }, 'a.json')).toThrow(/scopes must be an object/);
    expect(() => parseAliasFile({ ...fraudOnly, scopes: { r: { champion: 'nope' } } }, 'a.json')).toThrow(
      RegistryError,
    );
  });

  it('in MLflow: registered models tagged with a scope hold its aliases, and changes know their scope', () => {
    const tag = { key: ALIAS_SCOPE_TAG, value: 'recsys_core' };
    const file = aliasFileFrom([
      { name: 'f', aliases: [{ alias: 'champion', version: '2' }] },
      { name: 'r', tags: [tag], aliases: [{ alias: 'champion', version: '1' }] },
    ]);
    expect(file).toMatchObject({ champion: 'f@2', scopes: { recsys_core: { champion: 'r@1' } } });
    expect(aliasFileFrom([{ name: 'f', aliases: [{ alias: 'champion', version: '2' }] }]).scopes).toBeUndefined();
    const after: AliasFile = {
      ...file,
      scopes: {
        recsys_core: { champion: 'r@2', challenger: null, shadow: [], archived: ['r@1'], history: [] },
      },
    };
    expect(aliasChanges(file, after)).toEqual([
      { ref: 'r@1', set: 'archived-1', drop: 'champion', scope: 'recsys_core' },
      { ref: 'r@2', set: 'champion', drop: null, scope: 'recsys_core' },
    ]);
    expect(scopeTags(file, aliasChanges(file, after))).toEqual(new Map([['r', 'recsys_core']]));
    // A version of the default scope's registered model promoted into another scope: refused, named.
    expect(() => scopeTags(file, [{ ref: 'f@3', set: 'champion', drop: null, scope: 'other_core' }])).toThrow(
      /registered model f holds f@2 in the default scope/,
    );
  });

  it('the file registry: recsys_rank@1 promoted beside the fraud champion, each served to its feature set', async () => {
    const t = tempRegistry();
    cpSync(join(committed, 'recsys_rank', '1'), join(t.dir, 'recsys_rank', '1'), { recursive: true });
    const registry = fileRegistry(t.dir, () => new Date(who.at));
    const next = await registry.promote('recsys_rank@1', 'champion', { by: 'ana', why: 'first ranker' });
    expect(next.champion).toBe('fraud_gbdt@1');
    expect(next.scopes?.recsys_core?.champion).toBe('recsys_rank@1');
    const stored = JSON.parse(readFileSync(join(t.dir, 'aliases.json'), 'utf8'));
    expect(stored.scopes.recsys_core.history[0]).toMatchObject({
      by: 'ana',
      why: 'first ranker',
      ref: 'recsys_rank@1',
    });
    const read = (ref: string) => registry.metadata(ref);
    expect(await servingSetOf(await registry.aliases(), 'recsys_core', read)).toEqual({
      champion: 'recsys_rank@1',
      shadows: [],
    });
    expect(await servingSetOf(await registry.aliases(), 'fraud_core', read)).toEqual({
      champion: 'fraud_gbdt@1',
      shadows: [],
    });
    // The default scope is unreadable when its versions are gone: said, not guessed.
    writeFileSync(join(t.dir, 'fraud_gbdt', '1', 'metadata.json'), '{');
    await expect(servingSetOf(await registry.aliases(), 'fraud_core', read)).rejects.toThrow(
      /feature set of the default alias scope/,
    );
  });
});
