/** The request header naming a request's deadline, in milliseconds from its arrival. */
export const DEADLINE_HEADER = 'decision-deadline-ms';

export interface DeadlineBounds {
  defaultMs: number;
  minMs: number;
  maxMs: number;
}

/** The deadline a request asks for (the header's value), or the default; outside the bounds: an error naming the header. */
export function parseDeadline(
  header: string | string[] | undefined,
  bounds: DeadlineBounds,
): { ok: true; ms: number } | { ok: false; error: string } {
  if (header === undefined) return { ok: true, ms: bounds.defaultMs };
  const text = Array.isArray(header) ? header.join(',') : header;
  const ms = /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(ms) || ms < bounds.minMs || ms > bounds.maxMs) {
    return {
      ok: false,
      error: `Decision-Deadline-Ms ${JSON.stringify(text)}: an integer number of milliseconds from ${bounds.minMs} to ${bounds.maxMs}`,
    };
  }
  return { ok: true, ms };
}
