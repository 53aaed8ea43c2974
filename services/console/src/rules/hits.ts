import { sql } from '@pipeline/shared';
import { type DaySplit, overDecisionsOnce, type TimeRange } from '../decisions/queries.js';

/**
 * Which rules fired how often: every `RULE:<id>` reason (and the lists' `DENY_LIST`, `ALLOW_LIST`)
 * of the decisions in the range, each decision once, per rule-set version, with each version's
 * decisions for the share. null when no day of the range holds decisions.
 */
export function ruleHitsSql(range: Pick<TimeRange, 'from' | 'to'>, split: DaySplit): string | null {
  const reasons = overDecisionsOnce(
    range,
    split,
    (
      from,
    ) => sql`SELECT rule_set_version, arrayJoin(arrayConcat(['*'], arrayFilter(r -> r LIKE 'RULE:%' OR r = 'DENY_LIST' OR r = 'ALLOW_LIST', reason_codes))) AS reason
  FROM ${from}`,
  );
  return (
    reasons &&
    sql`SELECT rule_set_version AS version, reason, count() AS n
FROM ${reasons}
GROUP BY version, reason
ORDER BY version, n DESC
LIMIT 10000`
  );
}

export interface RuleHits {
  version: string;
  /** Decisions taken under this version in the range. */
  decisions: number;
  /** By rule id (`DENY_LIST` and `ALLOW_LIST` as themselves). */
  hits: Record<string, number>;
}

/** Rows of ruleHitsSql grouped per version, newest-looking version (most decisions) first. */
export function ruleHits(rows: readonly { version: string; reason: string; n: number | string }[]): RuleHits[] {
  const byVersion = new Map<string, RuleHits>();
  for (const r of rows) {
    let v = byVersion.get(r.version);
    if (!v) {
      v = { version: r.version, decisions: 0, hits: {} };
      byVersion.set(r.version, v);
    }
    if (r.reason === '*') v.decisions += Number(r.n);
    else {
      const id = r.reason.startsWith('RULE:') ? r.reason.slice('RULE:'.length) : r.reason;
      v.hits[id] = (v.hits[id] ?? 0) + Number(r.n);
    }
  }
  return [...byVersion.values()].sort((a, b) => b.decisions - a.decisions || a.version.localeCompare(b.version));
}
