import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseRuleSet } from '@pipeline/decision';
import type { FeatureSet } from '@pipeline/feature-sets';
import { type AuditEntry, type ClickHouseClient, errorMessage, type Logger, recordAudit, sql } from '@pipeline/shared';

/** What the audit keeps of a rule file: never its lists, which hold raw customer and terminal ids. */
export interface RuleFileState {
  sha256: string;
  version: string;
}

/**
 * The audit entry of a rule file that differs from the last one audited, or null when it is the same
 * or the decision engine would refuse it (then the engine keeps the previous rule set: nothing changed).
 * The file names no author: the actor is the file, and who edited it is its version control's answer.
 */
export function ruleSetChange(
  previous: RuleFileState | null,
  text: string,
  file: string,
  featureSet: FeatureSet,
  service: string,
): AuditEntry | null {
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (previous?.sha256 === sha256) return null;
  let ruleSet: ReturnType<typeof parseRuleSet>;
  try {
    ruleSet = parseRuleSet(text, featureSet, file);
  } catch {
    return null;
  }
  return {
    actor: 'rules file',
    action: 'rules.change',
    subject: file,
    reason: '',
    service,
    details: {
      version: ruleSet.version,
      sha256,
      previous_version: previous?.version ?? null,
      previous_sha256: previous?.sha256 ?? null,
      rules: ruleSet.rules.map((r) => r.id),
      deny_entries: ruleSet.deny.customers.size + ruleSet.deny.terminals.size,
      allow_entries: ruleSet.allow.customers.size + ruleSet.allow.terminals.size,
    },
  };
}

export function lastRuleSetSql(file: string): string {
  return sql`SELECT details FROM audit_log WHERE action = 'rules.change' AND subject = ${file} ORDER BY at_ms DESC LIMIT 1`;
}

/**
 * Watches the decision engine's rule file (the console's CONSOLE_RULES_FILE) and appends each rule
 * set the engine would apply to audit_log once: at start against the last one audited (a change
 * made while the console was down is recorded at its next start), then on every change, polled.
 */
export function startRuleAudit(options: {
  file: string;
  clickhouse: ClickHouseClient;
  featureSet: FeatureSet;
  service: string;
  intervalMs: number;
  logger: Logger;
}): { check(): Promise<void>; stop(): void } {
  const { file, clickhouse, logger } = options;
  let last: RuleFileState | null | undefined;
  let running: Promise<void> | undefined;
  const check = async () => {
    if (last === undefined) {
      const result = await clickhouse.query({ query: lastRuleSetSql(file), format: 'JSONEachRow' });
      const [row] = await result.json<{ details: string }>();
      last = row ? (JSON.parse(row.details) as RuleFileState) : null;
    }
    const entry = ruleSetChange(last, await readFile(file, 'utf8'), file, options.featureSet, options.service);
    if (!entry) return;
    await recordAudit(clickhouse, entry);
    last = { sha256: entry.details.sha256 as string, version: entry.details.version as string };
    logger.info({ file, version: last.version }, 'rule set change recorded in audit_log');
  };
  const tick = () => {
    running ??= check()
      .catch((error) => logger.warn({ err: errorMessage(error), file }, 'rule set change not recorded; retrying'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return { check: tick, stop: () => clearInterval(timer) };
}
