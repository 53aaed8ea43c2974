// The rules page's table and chart from /api/rules: pure, unit-tested beside.
import type { RuleHits } from '../src/rules/hits.js';
import type { RuleSetView, RuleView } from '../src/rules/rule-file.js';
import type { BarData } from './charts-data.js';
import { colourOf } from './format.js';

export interface RuleRow extends RuleView {
  hits: number;
  /** Share of the version's decisions this rule fired on (0..1); null without decisions. */
  share: number | null;
}

/**
 * The hit counts that go with the file: those of the file's version when it decided anything in the
 * range, else of the version that decided most (the engine may have refused a newer file).
 */
export function hitsForFile(ruleSet: RuleSetView | null, hits: readonly RuleHits[]): RuleHits | null {
  return hits.find((h) => h.version === ruleSet?.version) ?? hits[0] ?? null;
}

/** Every rule of the file with its hits, the lists' hits as rows of their own when they fired. */
export function ruleRows(ruleSet: RuleSetView | null, counts: RuleHits | null): RuleRow[] {
  const share = (n: number) => (counts && counts.decisions > 0 ? n / counts.decisions : null);
  const rows: RuleRow[] = (ruleSet?.rules ?? []).map((r) => ({
    ...r,
    hits: counts?.hits[r.id] ?? 0,
    share: share(counts?.hits[r.id] ?? 0),
  }));
  for (const list of ['DENY_LIST', 'ALLOW_LIST']) {
    const n = counts?.hits[list] ?? 0;
    if (n > 0)
      rows.push({
        id: list,
        description: null,
        priority: null,
        action: list === 'DENY_LIST' ? 'DECLINE' : 'APPROVE',
        condition: 'list',
        hits: n,
        share: share(n),
      });
  }
  // Rules that fired but are not in the file (renamed or removed since).
  for (const [id, n] of Object.entries(counts?.hits ?? {})) {
    if (!rows.some((r) => r.id === id))
      rows.push({
        id,
        description: 'not in the file',
        priority: null,
        action: '?',
        condition: '',
        hits: n,
        share: share(n),
      });
  }
  return rows;
}

/** One horizontal bar per rule, coloured by its action. */
export function hitsChartData(rows: readonly RuleRow[]): BarData {
  return {
    labels: rows.map((r) => r.id),
    datasets: [{ label: 'hits', data: rows.map((r) => r.hits), backgroundColor: colourOf('REVIEW', 0) }],
  };
}

export function percent(share: number | null): string {
  if (share === null) return '–';
  return share === 0 ? '0 %' : share < 0.001 ? '< 0.1 %' : `${(share * 100).toFixed(1)} %`;
}
