import type { IHeaders } from '@pipeline/shared';

/**
 * Kafka header carrying the wall-clock time (epoch milliseconds, decimal string) at which the load
 * generator handed the message's batch to the producer. The latency probe subtracts it from the
 * time a message arrives, so both sides must read comparable clocks (same host, or NTP-synced).
 */
export const PUBLISH_TIME_HEADER = 'publish-time-ms';

/** The publish time a message carries, or undefined when the header is missing or not a number. */
export function readPublishTime(headers: IHeaders | undefined): number | undefined {
  const raw = headers?.[PUBLISH_TIME_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString('latin1');
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}
