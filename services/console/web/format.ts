// Pure formatting and shaping for the page: no DOM, unit-tested beside.
import type { QueueItem } from '../src/decisions/shape.js';
import type { LagRow } from '../src/live/lag.js';

export function rate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined) return '–';
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en') : perSecond.toFixed(1);
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toLocaleString('en');
}

/** Epoch ms as UTC `HH:MM:SS`. */
export function clock(atMs: number): string {
  return new Date(atMs).toISOString().slice(11, 19);
}

/** Epoch seconds as UTC `YYYY-MM-DD HH:MM`, or `MM-DD HH:MM` when `short`. */
export function eventTime(seconds: number, short = false): string {
  const iso = new Date(seconds * 1000).toISOString();
  return short ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Minor units with their currency: 125000 EUR → `1,250.00 EUR`. */
export function amount(minor: number | null, currency: string | null): string {
  if (minor === null) return '–';
  return `${(minor / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency ?? ''}`.trim();
}

export function score(value: number | null): string {
  return value === null ? '–' : value.toFixed(3);
}

/** Lag rows grouped per group and topic, with the total and each partition's lag in order. */
export interface LagGroup {
  group: string;
  topic: string;
  total: number;
  partitions: { partition: number; lag: number }[];
}

export function groupLag(rows: readonly LagRow[]): LagGroup[] {
  const groups = new Map<string, LagGroup>();
  for (const r of rows) {
    const key = `${r.group}\u0000${r.topic}`;
    let g = groups.get(key);
    if (!g) {
      g = { group: r.group, topic: r.topic, total: 0, partitions: [] };
      groups.set(key, g);
    }
    g.total += r.lag;
    g.partitions.push({ partition: r.partition, lag: r.lag });
  }
  for (const g of groups.values()) g.partitions.sort((a, b) => a.partition - b.partition);
  return [...groups.values()].sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
}

/** The reasons of a queued decision, shortest first, as one line. */
export function reasons(item: Pick<QueueItem, 'reasons'>): string {
  return item.reasons.join(', ') || '–';
}

/** A stable colour per series name (actions and paths have their own meaning). */
const NAMED: Record<string, string> = {
  APPROVE: '#2e7d32',
  STEP_UP: '#f9a825',
  REVIEW: '#ef6c00',
  DECLINE: '#c62828',
  MODEL_AND_RULES: '#1565c0',
  RULES_ONLY: '#8e24aa',
  features: '#00897b',
  scorer: '#5e35b1',
  decision: '#d81b60',
  'events in': '#1565c0',
  'decisions out': '#2e7d32',
};
const PALETTE = ['#1565c0', '#ef6c00', '#2e7d32', '#8e24aa', '#c62828', '#00897b', '#6d4c41', '#546e7a'];

export function colourOf(name: string, index: number): string {
  return NAMED[name] ?? (PALETTE[index % PALETTE.length] as string);
}
