/** What the runner reports while it goes and at the end. */
export interface Progress {
  /** Rows read from the input (scored or rejected). */
  rows: number;
  scored: number;
  rejected: number;
  elapsedMs: number;
  /** Share of the input read, when the input knows it. */
  fraction: number | undefined;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return hms.map((n, i) => (i === 0 ? String(n) : String(n).padStart(2, '0'))).join(':');
}

export function rowsPerSecond(p: Progress): number {
  return p.elapsedMs > 0 ? (p.scored * 1000) / p.elapsedMs : 0;
}

/** `1,200,000 scored  48,210 rows/s  40%  ETA 0:00:37  3 rejected`: the ETA from the share read so far. */
export function formatProgress(p: Progress): string {
  const parts = [`${int(p.scored)} scored`, `${int(rowsPerSecond(p))} rows/s`];
  if (p.fraction !== undefined && p.fraction > 0) {
    parts.push(`${Math.floor(p.fraction * 100)}%`);
    parts.push(`ETA ${clock(((p.elapsedMs / 1000) * (1 - p.fraction)) / p.fraction)}`);
  }
  if (p.rejected > 0) parts.push(`${int(p.rejected)} rejected`);
  return parts.join('  ');
}
