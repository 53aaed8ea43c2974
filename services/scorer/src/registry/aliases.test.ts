import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import { EMPTY_ALIASES, parseAliasFile, parseRef, promote, rollback, servingSet } from './aliases.js';

const who = (why: string) => ({ by: 'ana', why, at: '2026-01-01T00:00:00.000Z' });

describe('aliases', () => {
  it('parses references', () => {
    expect(parseRef('fraud_gbdt@12')).toEqual({ name: 'fraud_gbdt', version: '12' });
    expect(() => parseRef('fraud_gbdt')).toThrow(RegistryError);
    expect(() => parseRef('a@b@c')).toThrow(RegistryError);
  });

  it('promoting a champion archives the old one and records who, when, why and what it replaced', () => {
    const a = promote(EMPTY_ALIASES, 'm@1', 'champion', who('first'));
    const b = promote(a, 'm@2', 'champion', who('better AP'));
    expect(b.champion).toBe('m@2');
    expect(b.archived).toEqual(['m@1']);
    expect(b.history.at(-1)).toEqual({
      ...who('better AP'),
      action: 'promote',
      ref: 'm@2',
      alias: 'champion',
      previous: 'm@1',
    });
  });

  it('a version holds one alias at a time; shadows are a list', () => {
    let f = promote(EMPTY_ALIASES, 'm@1', 'champion', who('x'));
    f = promote(f, 'm@2', 'shadow', who('x'));
    f = promote(f, 'm@3', 'shadow', who('x'));
    f = promote(f, 'm@4', 'challenger', who('x'));
    expect(servingSet(f)).toEqual({ champion: 'm@1', shadows: ['m@4', 'm@2', 'm@3'] });
    f = promote(f, 'm@2', 'champion', who('x'));
    expect(f.shadow).toEqual(['m@3']);
    expect(f.archived).toEqual(['m@1']);
    expect(servingSet(f)).toEqual({ champion: 'm@2', shadows: ['m@4', 'm@3'] });
  });

  it('rollback restores the previous champion and is recorded; refused with nothing to go back to', () => {
    expect(() => rollback(EMPTY_ALIASES, who('x'))).toThrow(/nothing to roll back/);
    const first = promote(EMPTY_ALIASES, 'm@1', 'champion', who('x'));
    expect(() => rollback(first, who('x'))).toThrow(/nothing to roll back/);
    const back = rollback(promote(first, 'm@2', 'champion', who('x')), who('m@2 declines too much'));
    expect(back.champion).toBe('m@1');
    expect(back.archived).toEqual(['m@2']);
    expect(back.history.at(-1)).toMatchObject({ action: 'rollback', ref: 'm@1', previous: 'm@2' });
  });

  it('refuses a malformed alias file', () => {
    expect(() => parseAliasFile({ champion: 3 }, 'f')).toThrow(RegistryError);
    expect(() => parseAliasFile({ shadow: ['nope'] }, 'f')).toThrow(RegistryError);
    expect(parseAliasFile({ champion: 'm@1' }, 'f')).toEqual({ ...EMPTY_ALIASES, champion: 'm@1' });
  });
});
