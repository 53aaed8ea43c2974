import type { IHeaders } from './client.js';

/**
 * Kafka header carrying the wall-clock time (epoch milliseconds, decimal string) at which the load
 * generator handed the message's batch to the producer. The latency probe subtracts it from the
 * time a message arrives, so both sides must read comparable clocks (same host, or NTP-synced).
 */
export const PUBLISH_TIME_HEADER = 'publish-time-ms';

/**
 * Kafka header carrying when a transaction entered the pipeline (epoch milliseconds, decimal string):
 * its timestamp on the transactions topic, stamped by the feature service on what it produces. A
 * later hop reads from it how far behind the pipeline is (the decision engine waits longer for a
 * score while catching up).
 */
export const INGEST_TIME_HEADER = 'ingest-time-ms';

function readMillis(headers: IHeaders | undefined, name: string): number | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString('latin1');
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/** The publish time a message carries, or undefined when the header is missing or not a number. */
export function readPublishTime(headers: IHeaders | undefined): number | undefined {
  return readMillis(headers, PUBLISH_TIME_HEADER);
}

/** The ingest time a message carries, or undefined when the header is missing or not a number. */
export function readIngestTime(headers: IHeaders | undefined): number | undefined {
  return readMillis(headers, INGEST_TIME_HEADER);
}

/** Headers a service copies from the message it consumed onto the messages it produces for it. */
const CARRIED = [PUBLISH_TIME_HEADER, INGEST_TIME_HEADER] as const;

/**
 * The headers of `headers` that travel along the pipeline: the publish time (end-to-end latency at
 * every hop) and the ingest time. Trace context is not among them: the instrumentation writes it.
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
