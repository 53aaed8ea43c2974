import { type Figure, judged } from '../figures.js';
import { psi } from '../stats.js';
import type { Thresholds } from '../thresholds.js';

export const ACTIONS = ['APPROVE', 'REVIEW', 'DECLINE', 'STEP_UP'] as const;

/**
 * The approve/review/decline mix against its usual (the preceding days): each action's share (not
 * judged, for charts) and the PSI of the shares, judged with `min_decisions` on both sides.
 */
export function mixFigures(
  current: Readonly<Record<string, number>>,
  usual: Readonly<Record<string, number>>,
  t: Thresholds,
): Figure[] {
  const cur = ACTIONS.map((a) => current[a] ?? 0);
  const ref = ACTIONS.map((a) => usual[a] ?? 0);
  const n = cur.reduce((a, b) => a + b, 0);
  const nRef = ref.reduce((a, b) => a + b, 0);
  const enough = n >= t.mix.min_decisions && nRef >= t.mix.min_decisions;
  const base = { kind: 'MIX' as const, n, nReference: nRef };
  return [
    ...ACTIONS.map((a, i) =>
      judged(
        { ...base, subject: a, metric: 'share', value: n === 0 ? Number.NaN : (cur[i] as number) / n },
        'max',
        null,
        false,
      ),
    ),
    judged({ ...base, subject: '', metric: 'psi', value: psi(ref, cur) }, 'max', t.mix.psi, enough),
  ];
}
