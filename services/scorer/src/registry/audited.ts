import type { AuditSink } from '@pipeline/shared';
import type { AliasFile, ModelRegistry } from './types.js';

/**
 * A registry whose promotions and rollbacks also land in the audit trail (audit_log), whichever
 * registry holds them (file or MLflow): the change the registry recorded in its own history (who,
 * when, why, the previous holder of the alias) is appended once the registry has made it. A change
 * the audit fails to record is reported to the caller, not undone: the registry's history keeps it.
 */
export function auditedRegistry(registry: ModelRegistry, audit: AuditSink, service: string): ModelRegistry {
  const record = async (next: AliasFile): Promise<AliasFile> => {
    const change = next.history.at(-1);
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
        champion: next.champion,
        challenger: next.challenger,
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
    promote: async (ref, alias, who) => record(await registry.promote(ref, alias, who)),
    rollback: async (who) => record(await registry.rollback(who)),
  };
}
