import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/**
 * Customer (card), terminal and (recommendations) user identifiers are stored in ClickHouse only as keyed-HMAC tokens
 * (docs/security.md, "PII, erasure and audit"). A token is `tok_<key id>_<32 hex>`: HMAC-SHA256 of
 * the kind and the raw id under one key of the ring, truncated to 128 bits. The key id is visible, so
 * after a rotation a reader can tell which key a row was written under; lookups (the console's
 * search, erasure) compute the token under every key of the ring.
 */
export type PiiKind = 'customer' | 'terminal' | 'user';

export interface TokenKey {
  id: string;
  secret: string;
}

export interface Tokenizer {
  /** The key new tokens are made with: the ring's first. */
  readonly currentKeyId: string;
  readonly keyIds: readonly string[];
  /** The token under the current key; a value that already is a token passes through unchanged. */
  token(kind: PiiKind, id: string): string;
  /** The tokens of a raw id under every key of the ring, current first: what a lookup searches for. */
  tokensFor(kind: PiiKind, id: string): string[];
  /** Per key, its id and a fingerprint that names the secret without revealing it (for the audit). */
  describe(): string;
}

export const PII_KEYS_VAR = 'PII_TOKEN_KEYS';
const KEY_ID = /^[a-z0-9]{1,16}$/;
const MIN_SECRET = 32;
const TOKEN = /^tok_[a-z0-9]{1,16}_[0-9a-f]{32}$/;

/** True for a value of the token shape; such values are never tokenized again (replays, console labels). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * The ring from `PII_TOKEN_KEYS`: `id:secret` pairs separated by commas, current key first. A missing
 * or bad value stops the service naming the variable, never echoing a secret.
 */
export function parseKeyRing(value: string | undefined, variable = PII_KEYS_VAR): TokenKey[] {
  const fail = (reason: string): never => {
    throw new ConfigError([variable], `invalid configuration:\n  ${variable} ${reason}`);
  };
  if (value === undefined || value.trim() === '') return fail('is not set (id:secret[,id:secret...], current first)');
  const keys = value.split(',').map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon < 0) return fail(`entry ${i + 1} is not id:secret`);
    const id = entry.slice(0, colon).trim();
    const secret = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) return fail(`entry ${i + 1}: key id must be 1-16 lower-case letters or digits`);
    if (secret.length < MIN_SECRET) return fail(`key ${id}: secret must be at least ${MIN_SECRET} characters`);
    return { id, secret };
  });
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) fail(`key id ${repeated} appears twice`);
  return keys;
}

function hmac(key: TokenKey, kind: PiiKind, id: string): string {
  // The kind is part of the input: a customer and a terminal with the same raw id get different tokens.
  return `tok_${key.id}_${createHmac('sha256', key.secret).update(`${kind}\0${id}`).digest('hex').slice(0, 32)}`;
}

/**
 * Tokens of the current key kept per kind: an HMAC costs ~5 µs and the same customers and terminals
 * come back batch after batch. Emptied when full, so memory stays bounded (~10 MB).
 */
const CACHED = 50_000;

export function createTokenizer(keys: readonly TokenKey[]): Tokenizer {
  const current = keys[0];
  if (!current) throw new ConfigError([PII_KEYS_VAR], `invalid configuration:\n  ${PII_KEYS_VAR} holds no key`);
  const cache: Record<PiiKind, Map<string, string>> = { customer: new Map(), terminal: new Map(), user: new Map() };
  const token = (kind: PiiKind, id: string): string => {
    const known = cache[kind].get(id);
    if (known !== undefined) return known;
    const made = isToken(id) ? id : hmac(current, kind, id);
    if (cache[kind].size >= CACHED) cache[kind].clear();
    cache[kind].set(id, made);
    return made;
  };
  return {
    currentKeyId: current.id,
    keyIds: keys.map((k) => k.id),
    token,
    tokensFor: (kind, id) => (isToken(id) ? [id] : keys.map((k) => hmac(k, kind, id))),
    describe: () =>
      keys
        .map((k) => `${k.id}(${createHmac('sha256', k.secret).update('fingerprint').digest('hex').slice(0, 8)})`)
        .join(','),
  };
}

/**
 * For a service's variable shape: declares the variable (deployment checks and docs read the shapes);
 * its value is parsed by `withKeyRing`, whose messages never quote it.
 */
export const piiVars = { [PII_KEYS_VAR]: z.string({ error: 'is not set' }).trim().min(1, 'is not set') };

/** The tokenizer of a service's `PII_TOKEN_KEYS`, for its config loader. */
export function tokenizerFromEnv(vars: Record<string, string | undefined> = process.env): Tokenizer {
  return createTokenizer(parseKeyRing(vars[PII_KEYS_VAR]));
}

/**
 * A service's configuration and its tokenizer, every problem of both reported at once. The ring is
 * parsed apart from `parseEnv`, whose messages quote the value given: a secret must not be quoted.
 */
export function withKeyRing<T>(
  parse: () => T,
  vars: Record<string, string | undefined> = process.env,
): { config: T; tokenizer: Tokenizer } {
  let config: T | undefined;
  let failed: ConfigError | undefined;
  try {
    config = parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    failed = error;
  }
  try {
    const tokenizer = tokenizerFromEnv(vars);
    if (failed) throw failed;
    return { config: config as T, tokenizer };
  } catch (error) {
    if (!(error instanceof ConfigError) || !failed || error === failed) throw error;
    // A shape that declares the variable already said it is not set.
    if (failed.variables.includes(PII_KEYS_VAR)) throw failed;
    const lines = error.message.split('\n').slice(1).join('\n');
    throw new ConfigError([...failed.variables, ...error.variables], `${failed.message}\n${lines}`);
  }
}
