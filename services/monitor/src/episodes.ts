import type { Alert, RetrainingTrigger } from '@pipeline/topology';
import type { Kind } from './config.js';
import { evidence, type Figure, reason } from './figures.js';

/** Whose episode: one check of one model version in one experiment variant. */
export interface EpisodeKey {
  kind: Kind;
  model_name: string;
  model_version: string;
  variant: string;
}

export interface EpisodeState extends EpisodeKey {
  state: 'OPEN' | 'CLOSED';
  episode_id: string;
  /** Window end (ms) of the run that opened the episode. */
  opened_at: number;
  clean_runs: number;
  /** Window end (ms) of the last run that updated this state. */
  last_window_end: number;
}

export const keyOf = (k: EpisodeKey) => `${k.kind}|${k.model_name}|${k.model_version}|${k.variant}`;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The debounce rule. A breach with no open episode opens one (an OPEN alert, and a trigger for drift
 * and performance); further breaches keep it open and emit nothing; it closes (a RESOLVED alert)
 * after `clearRuns` runs in a row within thresholds. A run that could not judge (too few rows)
 * changes nothing, and a run for a window end already handled is ignored, so a re-run after a crash
 * emits nothing new.
 */
export function stepEpisode(
  previous: EpisodeState | undefined,
  key: EpisodeKey,
  breached: boolean | undefined,
  windowEnd: number,
  clearRuns: number,
): { next: EpisodeState | undefined; event: 'OPEN' | 'RESOLVED' | undefined } {
  if (breached === undefined || (previous && windowEnd <= previous.last_window_end)) {
    return { next: previous, event: undefined };
  }
  const open = previous?.state === 'OPEN';
  if (breached) {
    if (open) return { next: { ...previous, clean_runs: 0, last_window_end: windowEnd }, event: undefined };
    const episode_id = `${key.kind.toLowerCase()}:${key.model_name}@${key.model_version}:${key.variant}:${iso(windowEnd)}`;
    return {
      next: { ...key, state: 'OPEN', episode_id, opened_at: windowEnd, clean_runs: 0, last_window_end: windowEnd },
      event: 'OPEN',
    };
  }
  if (!open || !previous) {
    return { next: previous ? { ...previous, last_window_end: windowEnd } : undefined, event: undefined };
  }
  const clean = previous.clean_runs + 1;
  if (clean >= clearRuns) {
    return { next: { ...previous, state: 'CLOSED', clean_runs: clean, last_window_end: windowEnd }, event: 'RESOLVED' };
  }
  return { next: { ...previous, clean_runs: clean, last_window_end: windowEnd }, event: undefined };
}

/** Checks whose breach also asks for a retraining. */
export const TRIGGERING: readonly Kind[] = ['DRIFT', 'PERFORMANCE'];

export interface Window {
  start: number;
  end: number;
  referenceStart: number | null;
  referenceEnd: number | null;
}

export function buildAlert(
  state: EpisodeState,
  status: 'OPEN' | 'RESOLVED',
  figures: readonly Figure[],
  window: Window,
  clearRuns: number,
  now: number,
): Alert {
  const breached = figures.filter((f) => f.breached);
  return {
    alert_id: `${state.episode_id}/${status}`,
    episode_id: state.episode_id,
    status,
    check: state.kind,
    model_name: state.model_name,
    model_version: state.model_version,
    variant: state.variant,
    window_start: window.start,
    window_end: window.end,
    reasons: status === 'OPEN' ? breached.map(reason) : [`within thresholds for ${clearRuns} runs in a row`],
    evidence: status === 'OPEN' ? breached.flatMap((f) => [f, ...(f.breakdown ?? [])]).map(evidence) : [],
    reference_start: window.referenceStart,
    reference_end: window.referenceEnd,
    emitted_at: now,
  };
}

export function buildTrigger(alert: Alert, requestedBy: string, now: number): RetrainingTrigger {
  return {
    trigger_id: alert.episode_id,
    episode_id: alert.episode_id,
    model_name: alert.model_name,
    model_version: alert.model_version,
    variant: alert.variant,
    checks: [alert.check],
    reasons: alert.reasons,
    evidence: alert.evidence,
    window_start: alert.window_start,
    window_end: alert.window_end,
    reference_start: alert.reference_start,
    reference_end: alert.reference_end,
    requested_by: requestedBy,
    requested_at: now,
  };
}
