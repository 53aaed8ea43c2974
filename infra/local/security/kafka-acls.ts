import { type AclBinding, type AclNaming, allTopics, topologyAcls } from '@pipeline/topology';
import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';

/** The console is the operators' tool: what the topology lets operators do, and it reads every group's lag. */
export const CONSOLE_PRINCIPAL = 'console';

/** The pipeline's ACLs: the topology's, and the console's (kafka principals: credentials.ts). */
export function pipelineAcls(naming: AclNaming = {}): AclBinding[] {
  const fromTopology = topologyAcls(allTopics, naming);
  const console = fromTopology
    .filter((a) => a.principal === 'operators')
    .map((a) => ({
      ...a,
      principal: CONSOLE_PRINCIPAL,
      ...(a.resource === 'group' ? { name: (naming.groupPrefix ?? ((p) => p))(CONSOLE_PRINCIPAL) } : {}),
    }));
  const lag: AclBinding[] = (['topic', 'group'] as const).map((resource) => ({
    principal: CONSOLE_PRINCIPAL,
    resource,
    name: '*',
    pattern: 'literal',
    operation: 'describe',
  }));
  return [...fromTopology, ...console, ...lag];
}

/** kafkajs's form of the bindings, for createAcls and deleteAcls. */
export function kafkajsAcls(bindings: readonly AclBinding[]) {
  const { AclResourceTypes, ResourcePatternTypes, AclOperationTypes, AclPermissionTypes } = kafkajs;
  return bindings.map((b) => ({
    resourceType: b.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: b.name,
    resourcePatternType: b.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    principal: `User:${b.principal}`,
    host: '*',
    operation: { read: AclOperationTypes.READ, write: AclOperationTypes.WRITE, describe: AclOperationTypes.DESCRIBE }[
      b.operation
    ],
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

/** Creates the bindings (creating an existing one changes nothing). */
export async function applyAcls(admin: Admin, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length > 0) await admin.createAcls({ acl: kafkajsAcls(bindings) });
}

/** Removes exactly these bindings (a test's namespaced ones). */
export async function removeAcls(admin: Admin, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length > 0) await admin.deleteAcls({ filters: kafkajsAcls(bindings) });
}
