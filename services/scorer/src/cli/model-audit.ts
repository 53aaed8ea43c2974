import {
  type AuditSink,
  auditSink,
  clickhouseVars,
  createAvroSerde,
  createClickHouse,
  createKafka,
  createLogger,
  createProducer,
  createRegistryClient,
  env,
  kafkaSecurity,
  kafkaSecurityVars,
  parseEnv,
  schemaRegistryVars,
} from '@pipeline/shared';
import { createTopicAudit, pipelineTopics } from '@pipeline/topology';

/**
 * Where `npm run model` records its promotions and rollbacks in the audit trail: straight into
 * audit_log when it has CLICKHOUSE_URL (an operator's shell usually has it: the console's analysts
 * query there); else on the audit topic when it has KAFKA_BROKERS (and the registry), which the
 * sink stores; else nowhere but the registry's own history, and the command says so.
 */
export type AuditDestination = 'clickhouse' | 'topic' | 'none';

export function auditDestination(vars: Record<string, string | undefined>): AuditDestination {
  if (vars.CLICKHOUSE_URL) return 'clickhouse';
  if (vars.KAFKA_BROKERS) return 'topic';
  return 'none';
}

const topicVars = {
  KAFKA_BROKERS: env.brokers(),
  ...kafkaSecurityVars,
  ...schemaRegistryVars,
  /** The audit topic (a test's own); the topology's by default. */
  MODEL_AUDIT_TOPIC: env.string().default(pipelineTopics.audit.name),
};

export interface ModelAudit {
  destination: AuditDestination;
  sink?: AuditSink;
  close(): Promise<void>;
}

/** The audit of the command's writes; a bad variable of the chosen way is a ConfigError naming it. */
export async function openModelAudit(vars: Record<string, string | undefined>): Promise<ModelAudit> {
  const destination = auditDestination(vars);
  if (destination === 'clickhouse') {
    const config = parseEnv(clickhouseVars, pick(vars, clickhouseVars));
    const client = createClickHouse(config, config.CLICKHOUSE_DATABASE);
    return { destination, sink: auditSink(client), close: () => client.close() };
  }
  if (destination === 'topic') {
    const config = parseEnv(topicVars, pick(vars, topicVars));
    const kafka = createKafka({
      brokers: config.KAFKA_BROKERS,
      clientId: 'model-cli',
      logger: createLogger('model-cli', 'error'),
      security: kafkaSecurity(config),
    });
    const producer = createProducer(kafka);
    let connected = false;
    const serde = createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL));
    let topicSink: AuditSink | undefined;
    return {
      destination,
      // Connected on the first write: list and show never touch Kafka.
      sink: async (entry) => {
        if (!connected) {
          await producer.connect();
          connected = true;
        }
        topicSink ??= await createTopicAudit({ producer, serde, topic: config.MODEL_AUDIT_TOPIC });
        await topicSink(entry);
      },
      close: async () => {
        if (connected) await producer.disconnect();
      },
    };
  }
  return { destination, close: async () => {} };
}

function pick(vars: Record<string, string | undefined>, shape: object): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(shape).map((name) => [name, vars[name]]));
}
