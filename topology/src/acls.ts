import type { TopicDeclaration } from './topic.js';

/** Who the topology says produces to every topic (the dead-letter topic). */
export const EVERY_SERVICE = 'every service';

/** One Kafka ACL binding, allowing `operation` on a resource to `principal` (a SCRAM user name). */
export interface AclBinding {
  principal: string;
  resource: 'topic' | 'group';
  /** A topic or group name, or the start of one (`pattern: 'prefixed'`). */
  name: string;
  pattern: 'literal' | 'prefixed';
  operation: 'read' | 'write' | 'describe';
}

/** A topology name as a principal: `downstream consumers` is the user `downstream-consumers`. */
export function principalOf(actor: string): string {
  return actor.trim().replace(/\s+/g, '-');
}

/** Every principal the topology names: each producer and consumer, `every service` excepted. */
export function topologyPrincipals(topics: readonly TopicDeclaration[]): string[] {
  const names = new Set<string>();
  for (const t of topics) {
    for (const actor of [...t.producers, ...t.consumers]) if (actor !== EVERY_SERVICE) names.add(principalOf(actor));
  }
  return [...names].sort();
}

export interface AclNaming {
  /** The topic's name where the ACL applies (a run's namespaced name); the declared name by default. */
  topic?: (declared: string) => string;
  /** The start of the consumer group ids a principal may use; its own name by default. */
  groupPrefix?: (principal: string) => string;
}

/**
 * The ACLs the topology implies: each producer may write its topics, each consumer read them and
 * use consumer groups whose ids start with its own name (`features`, `features.labels`). `every
 * service` producing (dead letters) means every principal in the topology. Nothing else is allowed:
 * a principal reading a topic it does not consume is refused by the broker. Kafka lets READ and
 * WRITE imply DESCRIBE.
 */
export function topologyAcls(topics: readonly TopicDeclaration[], naming: AclNaming = {}): AclBinding[] {
  const topicName = naming.topic ?? ((name) => name);
  const groupPrefix = naming.groupPrefix ?? ((principal) => principal);
  const everyone = topologyPrincipals(topics);
  const bindings = new Map<string, AclBinding>();
  const allow = (binding: AclBinding) =>
    bindings.set(
      `${binding.principal}|${binding.resource}|${binding.pattern}|${binding.name}|${binding.operation}`,
      binding,
    );
  for (const t of topics) {
    const producers = t.producers.flatMap((p) => (p === EVERY_SERVICE ? everyone : [principalOf(p)]));
    for (const principal of producers) {
      allow({ principal, resource: 'topic', name: topicName(t.name), pattern: 'literal', operation: 'write' });
    }
    for (const principal of t.consumers.filter((c) => c !== EVERY_SERVICE).map(principalOf)) {
      allow({ principal, resource: 'topic', name: topicName(t.name), pattern: 'literal', operation: 'read' });
      allow({ principal, resource: 'group', name: groupPrefix(principal), pattern: 'prefixed', operation: 'read' });
    }
  }
  return [...bindings.values()].sort((a, b) =>
    `${a.principal}|${a.resource}|${a.name}|${a.operation}`.localeCompare(
      `${b.principal}|${b.resource}|${b.name}|${b.operation}`,
    ),
  );
}
