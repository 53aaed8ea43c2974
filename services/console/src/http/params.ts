import { RequestError } from '../errors.js';

/** `?hours=` of the decision mix: one of the spans the page offers, 24 by default. */
export const MIX_HOURS = [1, 6, 24, 168] as const;
export function parseHours(value: string | null): number {
  if (value === null || value === '') return 24;
  const hours = Number(value);
  if (!(MIX_HOURS as readonly number[]).includes(hours)) {
    throw new RequestError(400, `hours must be one of ${MIX_HOURS.join(', ')}, not '${value.slice(0, 20)}'`);
  }
  return hours;
}

/** `?hours=` of the models page: a day, a week or 30 days (labels come late), 168 by default. */
export const MODEL_HOURS = [24, 168, 720] as const;
export function parseModelHours(value: string | null): number {
  if (value === null || value === '') return 168;
  const hours = Number(value);
  if (!(MODEL_HOURS as readonly number[]).includes(hours)) {
    throw new RequestError(400, `hours must be one of ${MODEL_HOURS.join(', ')}, not '${value.slice(0, 20)}'`);
  }
  return hours;
}

/** `?days=` of the monitoring page: window ends over 1, 7, 30 or 90 days, 7 by default. */
export const MONITOR_DAYS = [1, 7, 30, 90] as const;
export function parseDays(value: string | null): number {
  if (value === null || value === '') return 7;
  const days = Number(value);
  if (!(MONITOR_DAYS as readonly number[]).includes(days)) {
    throw new RequestError(400, `days must be one of ${MONITOR_DAYS.join(', ')}, not '${value.slice(0, 20)}'`);
  }
  return days;
}

/** An optional choice by name (`?series=`, `?feature=`): at most 200 characters; empty is none. */
export function parseName(name: string, value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  if (value.length > 200) throw new RequestError(400, `${name} is over 200 characters`);
  return value.trim();
}

/** `?limit=` of the review queue: 1 to 200, 50 by default. */
export function parseLimit(value: string | null): number {
  if (value === null || value === '') return 50;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 200) {
    throw new RequestError(400, `limit must be a whole number from 1 to 200, not '${value.slice(0, 20)}'`);
  }
  return Number(value);
}

/** A path segment as sent (percent-encoded), decoded; a broken encoding is a 400. */
export function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RequestError(400, 'the event id in the path is not valid percent-encoding');
  }
}

/** `data:` lines of one server-sent event carrying `value` as JSON. */
export function sseEvent(event: string, value: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`;
}
