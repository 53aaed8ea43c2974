// Names made in one integration run carry that run's token, so the run can delete what it made and
// nothing else, even while other runs use the same broker.

import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

// Lowercase letters and digits only: valid in topic, group, subject and ClickHouse names alike.
const TOKEN = /^[0-9a-z]{12,}$/;

export function randomChars(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** The start time shows a leftover's age; the random part tells apart runs started in the same millisecond. */
export function newRunToken(now = Date.now()): string {
  return `${now.toString(36).padStart(8, '0')}${randomChars(4)}`;
}

/**
 * `prefix_token_random`. Without a token (outside an integration run) `prefix_time_random`, whose
 * 8-character middle part can never equal a 12-character token.
 */
export function nameInRun(prefix: string, token: string | undefined): string {
  return `${prefix}_${token || Date.now().toString(36)}_${randomChars(6)}`;
}

/** True for names made by nameInRun with `token`, and for names built around one (a reader group named after its topic). */
export function belongsToRun(name: string, token: string): boolean {
  // A malformed token (say '') would match far too much: select nothing instead.
  return TOKEN.test(token) && name.includes(`_${token}_`);
}

export function namesOfRun(names: readonly string[], token: string): string[] {
  return names.filter((name) => belongsToRun(name, token));
}
