import { describe, expect, it } from 'vitest';
import { promote } from './aliases.js';
import { aliasChanges, aliasFileFrom, HISTORY_TAG, mlflowAlias, parseMlflowAlias } from './mlflow-registry.js';
import type { AliasFile } from './types.js';

const who = { by: 'ana', why: 'test', at: '2026-03-01T00:00:00.000Z' };

describe('the registry state in MLflow aliases and tags', () => {
  it('names one MLflow alias per served or archived version, and reads only its own', () => {
    expect(mlflowAlias('champion', '3')).toBe('champion');
    expect(mlflowAlias('shadow', '3')).toBe('shadow-3');
    expect(mlflowAlias('archived', '1')).toBe('archived-1');
    expect(parseMlflowAlias('shadow-3')).toBe('shadow');
    expect(parseMlflowAlias('challenger')).toBe('challenger');
    expect(parseMlflowAlias('production')).toBeNull();
    expect(parseMlflowAlias('shadow')).toBeNull();
  });

  it('builds the alias file from aliases and history tags; a version holding two aliases counts as the stronger', () => {
    const file = aliasFileFrom([
      {
        name: 'm',
        aliases: [
          { alias: 'champion', version: '3' },
          { alias: 'shadow-3', version: '3' },
          { alias: 'shadow-2', version: '2' },
          { alias: 'archived-1', version: '1' },
          { alias: 'production', version: '1' },
        ],
        tags: [
          { key: `${HISTORY_TAG}000000000000002.1-0`, value: JSON.stringify({ ref: 'm@3', n: 2 }) },
          { key: 'owner', value: 'risk' },
          { key: `${HISTORY_TAG}000000000000001.1-0`, value: JSON.stringify({ ref: 'm@2', n: 1 }) },
        ],
      },
    ]);
    expect(file).toMatchObject({ champion: 'm@3', challenger: null, shadow: ['m@2'], archived: ['m@1'] });
    expect(file.history.map((h) => h.ref)).toEqual(['m@2', 'm@3']);
    expect(() => aliasFileFrom([{ name: 'm', tags: [{ key: `${HISTORY_TAG}1`, value: '{' }] }])).toThrow(/not JSON/);
  });

  it('turns a promotion into the aliases to set and to drop', () => {
    const before: AliasFile = { champion: 'm@1', challenger: null, shadow: ['m@2'], archived: [], history: [] };
    const after = promote(before, 'm@2', 'champion', who);
    expect(aliasChanges(before, after)).toEqual([
      { ref: 'm@1', set: 'archived-1', drop: 'champion' },
      { ref: 'm@2', set: 'champion', drop: 'shadow-2' },
    ]);
    expect(aliasChanges(after, after)).toEqual([]);
  });
});
