import type { AuditSink } from '@pipeline/shared';
import { findRef, topBlock } from './scopes.js';
import type { AliasFile, ModelRegistry } from './types.js';

/**
 * A registry whose promotions and rollbacks also land in the audit trail (audit_log), whichever
 * registry holds them (file or MLflow): the change the registry recorded in its own history (who,
 * when, why, the previous holder of the alias) is appended once the registry has made it. A change
 * the audit fails to record is reported to the caller, not undone: the registry's history keeps it.
 */
export function auditedRegistry(registry: ModelRegistry, audit: AuditSink, service: string): ModelRegistry {
  const record = async (next: AliasFile, scope: string | null | undefined): Promise<AliasFile> => {
    // The scope the change was made in: its history's last entry is the change.
    const latest = (scope && next.scopes?.[scope]) || topBlock(next);
    const change = latest.history.at(-1);
    if (!change) return next;
    await audit({
      actor: change.by,
      action: change.action === 'promote' ? 'model.promote' : 'model.rollback',
      subject: change.ref,
      reason: change.why,
      service,
      details: {
        registry: registry.dir,
        alias: change.alias,
        previous: change.previous,
        champion: latest.champion,
        challenger: latest.challenger,
      },
      atMs: Date.parse(change.at),
    });
    return next;
  };
  return {
    get dir() {
      return registry.dir;
    },
    list: () => registry.list(),
    metadata: (ref) => registry.metadata(ref),
    artifact: (ref) => registry.artifact(ref),
    aliases: () => registry.aliases(),
    promote: async (ref, alias, who) => {
      const next = await registry.promote(ref, alias, who);
      return record(next, findRef(next, ref)?.scope);
    },
    rollback: async (who, scope) => record(await registry.rollback(who, scope), scope),
  };
}
