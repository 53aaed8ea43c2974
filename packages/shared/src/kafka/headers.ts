import type { IHeaders } from './client.js';

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

/** Headers a service copies from the message it consumed onto the messages it produces for it. */
const CARRIED = [PUBLISH_TIME_HEADER] as const;

/**
 * The headers of `headers` that travel along the pipeline (today the publish time, so end-to-end
 * latency can be read at every hop). Trace context is not among them: the instrumentation writes it.
 */
export function carriedHeaders(headers: IHeaders | undefined): IHeaders | undefined {
  if (!headers) return undefined;
  let carried: IHeaders | undefined;
  for (const name of CARRIED) {
    const value = headers[name];
    if (value === undefined) continue;
    carried ??= {};
    carried[name] = value;
  }
  return carried;
}
