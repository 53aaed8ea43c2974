import {
  type AuditMessage,
  type AuditRow,
  auditMessageProblem,
  auditRowOfMessage,
  type ClickHouseClient,
  insertAuditOnce,
} from '@pipeline/shared';
import { RowRejectedError } from '../errors.js';

/**
 * audit_log (migrations 0011, 0012), from the audit topic: the row and its insert are owned by
 * packages/shared/src/audit/audit.ts, which every direct writer uses too. A message that is no audit
 * entry (an unknown action, details that are not a JSON object...) is refused with the reason.
 */
export function auditLogRow(message: AuditMessage): AuditRow {
  const problem = auditMessageProblem(message);
  if (problem) throw new RowRejectedError(problem);
  return auditRowOfMessage(message);
}

/** Only ids audit_log does not hold yet: the table is append-only, nothing collapses a second copy. */
export function insertAuditLog(client: ClickHouseClient, rows: readonly AuditRow[]): Promise<void> {
  return insertAuditOnce(client, rows);
}
