import { errorMessage } from '@pipeline/shared';
import type { WatchedService } from '../config.js';
import { type ServiceCounters, serviceCounters } from './prometheus.js';

export interface ServiceReading {
  name: string;
  url: string;
  /** 'ready': /health/ready answered 200; 'not ready': 503 (failing names its checks); 'unreachable'. */
  status: 'ready' | 'not ready' | 'unreachable';
  failing: string[];
  counters: ServiceCounters | null;
  error: string | null;
}

async function get(
  url: string,
  token: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: await response.text() };
}

/** What `/health/ready` answered, as a status and the failing checks it named. */
export function readiness(status: number, body: string): Pick<ServiceReading, 'status' | 'failing'> {
  if (status === 200) return { status: 'ready', failing: [] };
  let failing: string[] = [];
  try {
    const parsed = JSON.parse(body) as { failing?: unknown };
    if (Array.isArray(parsed.failing)) failing = parsed.failing.map(String);
  } catch {
    failing = [`HTTP ${status}`];
  }
  return { status: 'not ready', failing: failing.length > 0 ? failing : [`HTTP ${status}`] };
}

/**
 * Each service's readiness and its consumer counters, read at once with `token` (the read role); one
 * that does not answer is unreachable, one that refuses the token is not ready ("HTTP 401"/"HTTP 403").
 */
export function readServices(
  services: readonly WatchedService[],
  token: string | undefined,
  timeoutMs = 2_000,
): Promise<ServiceReading[]> {
  return Promise.all(
    services.map(async ({ name, url }): Promise<ServiceReading> => {
      try {
        const [ready, metrics] = await Promise.all([
          get(`${url}/health/ready`, token, timeoutMs),
          get(`${url}/metrics`, token, timeoutMs).catch(() => null),
        ]);
        return {
          name,
          url,
          ...readiness(ready.status, ready.body),
          counters: metrics && metrics.status === 200 ? serviceCounters(metrics.body) : null,
          error: null,
        };
      } catch (error) {
        // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? errorMessage(error);
        return { name, url, status: 'unreachable', failing: [], counters: null, error: reason };
      }
    }),
  );
}
