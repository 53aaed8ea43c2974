import {
  Compatibility,
  type EnsureTopicsResult,
  ensureTopics,
  type Kafka,
  registerSchema,
  type SchemaRegistryClient,
} from '@pipeline/shared';
import { schemaFor } from './schemas.js';
import { type TopicDeclaration, valueSubject } from './topic.js';
import { allTopics } from './topics.js';

export interface ApplyResult extends EnsureTopicsResult {
  /** Topic name → id of its value schema in the registry. */
  schemaIds: Record<string, number>;
}

/**
 * Creates the declared topics that are missing, sets each topic's value subject to its declared
 * compatibility and registers its value schema. Idempotent: run it at every start-up.
 */
export async function applyTopology(options: {
  kafka: Kafka;
  registry: SchemaRegistryClient;
  topics?: readonly TopicDeclaration[];
}): Promise<ApplyResult> {
  const topics = options.topics ?? allTopics;
  const admin = options.kafka.admin();
  await admin.connect();
  let result: EnsureTopicsResult;
  try {
    result = await ensureTopics(admin, topics);
  } finally {
    await admin.disconnect();
  }
  const schemaIds: Record<string, number> = {};
  for (const t of topics) {
    schemaIds[t.name] = await registerSchema(
      options.registry,
      valueSubject(t.name),
      schemaFor(t.valueSchema).schema,
      Compatibility[t.compatibility],
    );
  }
  return { ...result, schemaIds };
}
