import { mix32 } from './random.js';

const HEX3: readonly string[] = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));
const TWO_POW_24 = 16_777_216;

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/**
 * The first 24 characters of every event id of a run: `xxxxxxxx-xxxx-4xxx-8xxx-`, derived from the
 * seed (a bijection of it in the first 8 digits, so two seeds never share a prefix).
 */
export function eventIdPrefix(seed: number): string {
  const a = hex8(mix32(seed ^ 0x2545f491));
  const b = hex8(mix32(mix32(seed) + 1));
  return `${a}-${b.slice(0, 4)}-4${b.slice(4, 7)}-8${hex8(mix32(mix32(seed) + 2)).slice(0, 3)}-`;
}

/**
 * The id of the run's `sequence`-th transaction (0-based, below 2^48): the prefix and the sequence
 * number in 12 hex digits. UUID-shaped (version 4 and variant nibbles set), unique within a run,
 * increasing with event time, and built from four table lookups instead of number formatting.
 */
export function eventId(prefix: string, sequence: number): string {
  const high = Math.floor(sequence / TWO_POW_24);
  const low = sequence - high * TWO_POW_24;
  return prefix + HEX3[high >>> 12] + HEX3[high & 4095] + HEX3[low >>> 12] + HEX3[low & 4095];
}

/** A 16-hex-digit hash standing in for a device fingerprint or client IP hash. */
export function hash16(seed: number, kind: number, index: number): string {
  const a = mix32(seed ^ mix32(kind * 0x632be5ab + index));
  return hex8(a) + hex8(mix32(a ^ 0x68e31da4));
}
