import { EXIT_USAGE } from './args.js';

/** Conventions of the loadtest commands: progress to stderr, a table then one JSON line on stdout. */

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  return ms >= 100 ? `${Math.round(ms)} ms` : `${Number(ms.toFixed(1))} ms`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Two aligned columns. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

/** The end of every command: the table, then the figures as one JSON object on the last line. */
export function printResult(title: string, rows: readonly (readonly [string, string])[], figures: object): void {
  process.stdout.write(`${title}\n${table(rows)}\n${JSON.stringify(figures)}\n`);
}

/** Bad flags: one line naming the flag, a usage hint, exit code 2. */
export function exitUsage(command: string, message: string): never {
  process.stderr.write(`${command}: ${message}\nusage: npm run ${command} -- [flags]  (--help lists them)\n`);
  process.exit(EXIT_USAGE);
}

/** Rounds for JSON output: milliseconds and rates to 0.1, keeping null. */
export function round1(n: number | null): number | null {
  return n === null ? null : Math.round(n * 10) / 10;
}
