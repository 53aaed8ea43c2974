import type { RedisClient as Redis } from '@pipeline/shared';
import { isToken, type Tokenizer } from '@pipeline/shared';
import type { Label, Transaction } from '@pipeline/topology';
import { terminalTokenKey } from './keys.js';

/**
 * Labels given in the console name the terminal by its PII token (the console reads tokenized rows
 * from ClickHouse), while the terminal's fraud-label state is keyed by the raw id. So the service
 * keeps, for each terminal it sees in a transaction, token → raw id under every key of the ring (a
 * label tokenized before a rotation still resolves), for as long as the terminal's state lives; a
 * label whose terminal is a token is applied to the raw id the map gives. A token the map does not
 * know stays as it is: a replay from ClickHouse runs on tokens throughout, transactions and labels
 * alike, and stays keyed consistently (docs/security.md, "Console labels").
 */
export interface TokenMap {
  tokenizer: Tokenizer;
  /** How long an entry lives after its terminal's last write: the state's key TTL. */
  ttlMs: number;
  /** Terminal → when this process last wrote its entries (wall ms): refreshed at most every ttl/10. */
  written: Map<string, number>;
}

/** Terminals remembered as written; emptied when full, so memory stays bounded (a few MB). */
const REMEMBERED = 100_000;

export function createTokenMap(tokenizer: Tokenizer, ttlMs: number): TokenMap {
  return { tokenizer, ttlMs, written: new Map() };
}

/**
 * The entries to write for a batch's transactions: each raw terminal id not written by this process
 * within a tenth of the TTL, once, with its token under every key. Marks them written.
 */
export function tokenEntries(
  map: TokenMap,
  prefix: string,
  txs: readonly Pick<Transaction, 'terminal_id'>[],
  nowMs: number,
): [key: string, raw: string][] {
  const entries: [string, string][] = [];
  const fresh = nowMs - map.ttlMs / 10;
  for (const { terminal_id: raw } of txs) {
    if (isToken(raw)) continue;
    const last = map.written.get(raw);
    if (last !== undefined && last > fresh) continue;
    if (map.written.size >= REMEMBERED) map.written.clear();
    map.written.set(raw, nowMs);
    for (const token of map.tokenizer.tokensFor('terminal', raw)) entries.push([terminalTokenKey(prefix, token), raw]);
  }
  return entries;
}

/** The writes of `tokenEntries`, for the batch's round trip (the client auto-pipelines them). */
export function writeTokenEntries(
  redis: Redis,
  ttlMs: number,
  entries: readonly [string, string][],
): Promise<unknown>[] {
  return entries.map(([key, raw]) => redis.set(key, raw, 'PX', Math.ceil(ttlMs)));
}

/**
 * The labels with a token for terminal replaced by the raw id the map holds for it; the others as
 * given. One read per distinct token, none for a batch without tokens.
 */
export async function resolveLabelTerminals(redis: Redis, prefix: string, labels: readonly Label[]): Promise<Label[]> {
  const tokens = [...new Set(labels.map((l) => l.terminal_id).filter(isToken))];
  if (tokens.length === 0) return [...labels];
  const raws = await Promise.all(tokens.map((t) => redis.get(terminalTokenKey(prefix, t))));
  const resolved = new Map<string, string>();
  tokens.forEach((t, i) => {
    const raw = raws[i];
    if (raw) resolved.set(t, raw);
  });
  return labels.map((l) => {
    const raw = resolved.get(l.terminal_id);
    return raw === undefined ? l : { ...l, terminal_id: raw };
  });
}
