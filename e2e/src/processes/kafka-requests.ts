import { runCredentials } from './credentials.js';

/** Requests per second each process sent the Kafka brokers over a window, by API (Fetch, Produce…). */
export type RequestRates = Record<string, Record<string, number>>;

/** Sums `kafka_client_requests_total` of a Prometheus text page by its `api` label. */
export function parseRequestCounts(page: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of page.split('\n')) {
    if (!line.startsWith('kafka_client_requests_total{')) continue;
    const api = /[{,]api="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (api && Number.isFinite(value)) counts[api] = (counts[api] ?? 0) + value;
  }
  return counts;
}

async function readCounts(port: number): Promise<Record<string, number> | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: runCredentials().headers });
    return response.ok ? parseRequestCounts(await response.text()) : null;
  } catch {
    return null;
  }
}

/** Reads each process's counts (by its metrics port) at the start of a window and the rates at its end. */
export async function startRequestWindow(ports: Record<string, number>): Promise<{ end(): Promise<RequestRates> }> {
  const read = () =>
    Promise.all(Object.entries(ports).map(async ([name, port]) => [name, await readCounts(port)] as const));
  const start = new Map(await read());
  const began = performance.now();
  return {
    async end() {
      const seconds = (performance.now() - began) / 1000;
      const rates: RequestRates = {};
      for (const [name, to] of await read()) {
        const from = start.get(name);
        if (!from || !to || seconds <= 0) continue;
        rates[name] = Object.fromEntries(
          Object.entries(to).map(([api, n]) => [api, Math.max(0, n - (from[api] ?? 0)) / seconds]),
        );
      }
      return rates;
    },
  };
}

/** Total requests per second of one process. */
export function totalRate(rates: Record<string, number> | undefined): number {
  return Object.values(rates ?? {}).reduce((sum, r) => sum + r, 0);
}

/** "features 212/s (Fetch 101, Produce 100, OffsetCommit 10)": each process's total and its top APIs. */
export function formatRequests(rates: RequestRates, top = 3): string {
  const entries = Object.entries(rates);
  if (entries.length === 0) return '-';
  return entries
    .map(([name, byApi]) => {
      const apis = Object.entries(byApi)
        .filter(([, r]) => r >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([api, r]) => `${api} ${Math.round(r)}`);
      return `${name} ${Math.round(totalRate(byApi))}/s (${apis.join(', ')})`;
    })
    .join(', ');
}
