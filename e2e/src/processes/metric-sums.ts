import { runCredentials } from './credentials.js';

/**
 * Sums of named series of a Prometheus text page, each over all its label sets. A name may carry a
 * selector, `decision_decisions_total{path="RULES_ONLY"}`: only the label sets holding those pairs.
 */
export function sumSeries(page: string, names: readonly string[]): Record<string, number> {
  const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const wanted = names.map((n) => ({ key: n, ...parseSelector(n) }));
  for (const line of page.split('\n')) {
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    for (const w of wanted) {
      if (w.name === name && w.pairs.every((pair) => line.includes(`{${pair}`) || line.includes(`,${pair}`)))
        sums[w.key] = (sums[w.key] ?? 0) + value;
    }
  }
  return sums;
}

/** `name{a="x",b="y"}` → the name and its pairs as they appear on a page's lines. */
function parseSelector(selector: string): { name: string; pairs: string[] } {
  const brace = selector.indexOf('{');
  if (brace < 0) return { name: selector, pairs: [] };
  const pairs = selector.slice(brace + 1, -1).match(/[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"/g) ?? [];
  return { name: selector.slice(0, brace), pairs };
}

/**
 * Reads the series of one process (by its metrics port) at the start of a window; `end()` gives how
 * much each grew, and the window's length. null when the process did not answer either time.
 */
export async function startSeriesWindow(
  port: number,
  names: readonly string[],
): Promise<{ end(): Promise<{ seconds: number; grew: Record<string, number> } | null> }> {
  const read = async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: runCredentials().headers });
      return response.ok ? sumSeries(await response.text(), names) : null;
    } catch {
      return null;
    }
  };
  const start = await read();
  const began = performance.now();
  return {
    async end() {
      const to = await read();
      if (!start || !to) return null;
      const grew = Object.fromEntries(names.map((n) => [n, Math.max(0, (to[n] ?? 0) - (start[n] ?? 0))]));
      return { seconds: (performance.now() - began) / 1000, grew };
    },
  };
}
