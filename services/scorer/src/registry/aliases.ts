import { RegistryError } from '../errors.js';
import { ALIASES, type Alias, type AliasBlock, type AliasChange, type AliasFile, type ModelRef } from './types.js';

export const EMPTY_ALIASES: AliasFile = { champion: null, challenger: null, shadow: [], archived: [], history: [] };

const REF = /^([A-Za-z0-9_.-]+)@([A-Za-z0-9_.-]+)$/;

export function parseRef(text: string): ModelRef {
  const m = REF.exec(text);
  if (!m) throw new RegistryError(`'${text}' is not a model reference like fraud_gbdt@1`);
  return { name: m[1] as string, version: m[2] as string };
}

export const formatRef = (ref: ModelRef): string => `${ref.name}@${ref.version}`;

export function isAlias(text: string): text is Alias {
  return (ALIASES as readonly string[]).includes(text);
}

/** Validates an alias file's parsed JSON; a malformed one throws naming what is wrong. */
export function parseAliasFile(value: unknown, source: string): AliasFile {
  const top = parseBlock(value, source);
  const scopes = (value as { scopes?: unknown }).scopes;
  if (scopes === undefined || scopes === null) return top;
  if (typeof scopes !== 'object' || Array.isArray(scopes))
    throw new RegistryError(`${source}: scopes must be an object`);
  const parsed: Record<string, AliasBlock> = {};
  for (const [name, block] of Object.entries(scopes)) parsed[name] = parseBlock(block, `${source}: scopes.${name}`);
  return { ...top, scopes: parsed };
}

function parseBlock(value: unknown, source: string): AliasBlock {
  const v = value as Partial<AliasBlock> | null;
  const bad = (what: string) => new RegistryError(`${source}: ${what}`);
  if (typeof v !== 'object' || v === null) throw bad('not a JSON object');
  for (const key of ['champion', 'challenger'] as const) {
    const ref = v[key];
    if (ref !== null && ref !== undefined && typeof ref !== 'string')
      throw bad(`${key} must be a model reference or null`);
    if (typeof ref === 'string') parseRef(ref);
  }
  for (const key of ['shadow', 'archived'] as const) {
    const list = v[key] ?? [];
    if (!Array.isArray(list) || list.some((r) => typeof r !== 'string'))
      throw bad(`${key} must be a list of references`);
    for (const r of list) parseRef(r);
  }
  return {
    champion: v.champion ?? null,
    challenger: v.challenger ?? null,
    shadow: [...(v.shadow ?? [])],
    archived: [...(v.archived ?? [])],
    history: Array.isArray(v.history) ? [...v.history] : [],
  };
}

/** Where `ref` is now, or null. */
export function aliasOf(file: AliasFile, ref: string): Alias | null {
  if (file.champion === ref) return 'champion';
  if (file.challenger === ref) return 'challenger';
  if (file.shadow.includes(ref)) return 'shadow';
  if (file.archived.includes(ref)) return 'archived';
  return null;
}

function without(file: AliasFile, ref: string): AliasFile {
  return {
    ...file,
    champion: file.champion === ref ? null : file.champion,
    challenger: file.challenger === ref ? null : file.challenger,
    shadow: file.shadow.filter((r) => r !== ref),
    archived: file.archived.filter((r) => r !== ref),
  };
}

/**
 * Moves `ref` to `alias` (pure). A replaced champion or challenger is archived, and the change is
 * recorded with who, when and why; the history is what rollback reads.
 */
export function promote(
  file: AliasFile,
  ref: string,
  alias: Alias,
  who: { by: string; why: string; at: string },
  action: AliasChange['action'] = 'promote',
): AliasFile {
  parseRef(ref);
  const previous = alias === 'champion' || alias === 'challenger' ? file[alias] : null;
  const next = without(file, ref);
  if (alias === 'champion' || alias === 'challenger') {
    next[alias] = ref;
    if (previous && previous !== ref) next.archived = [...without(next, previous).archived, previous];
  } else {
    next[alias] = [...next[alias], ref];
  }
  next.history = [...file.history, { ...who, action, ref, alias, previous }];
  return next;
}

/**
 * Puts the champion back to what it was before the last champion change. Refused when there is no
 * earlier champion to go back to.
 */
export function rollback(file: AliasFile, who: { by: string; why: string; at: string }): AliasFile {
  const last = [...file.history].reverse().find((h) => h.alias === 'champion');
  if (!last || last.previous === null) throw new RegistryError('nothing to roll back to: no earlier champion recorded');
  if (file.champion !== last.ref) {
    throw new RegistryError(
      `the champion ${file.champion ?? '(none)'} is not what the last promotion set (${last.ref}); promote explicitly`,
    );
  }
  return promote(file, last.previous, 'champion', who, 'rollback');
}

/** The models to serve: the champion decides, the challenger and shadows are flagged. */
export function servingSet(file: AliasFile): { champion: string | null; shadows: string[] } {
  const shadows = [file.challenger, ...file.shadow].filter((r): r is string => r !== null && r !== file.champion);
  return { champion: file.champion, shadows: [...new Set(shadows)] };
}
