import {
  type AuditEntry,
  type AuditMessage,
  type AuditSink,
  type AvroSerde,
  auditMessage,
  configAudit,
  createProducer,
  type Kafka,
  type Producer,
} from '@pipeline/shared';
import { schemaFor } from './schemas.js';
import { valueSubject } from './topic.js';

/**
 * Audit entries to the audit topic, for programs without a ClickHouse connection; the sink stores
 * them in audit_log once per id. Resolves once every in-sync replica has the message.
 */
export async function createTopicAudit(options: {
  producer: Producer;
  serde: AvroSerde;
  topic: string;
}): Promise<AuditSink> {
  const encoder = await options.serde.encoder<AuditMessage>(
    valueSubject(options.topic),
    schemaFor('pipeline/audit').type,
  );
  return async (entry: AuditEntry) => {
    const message = auditMessage(entry);
    await options.producer.send({
      topic: options.topic,
      acks: -1,
      messages: [{ key: message.service, value: encoder.encode(message) }],
    });
  };
}

/**
 * A service's configuration at start-up (`configAudit`: secrets redacted, with a hash) to the audit
 * topic, on a producer of its own that is gone once the entry is acknowledged: the service's other
 * producers are made inside its modules. A failure stops the start, as for the services that write
 * audit_log themselves.
 */
export async function auditStartOnTopic(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topic: string;
  service: string;
  config: object;
}): Promise<void> {
  const producer = createProducer(options.kafka);
  await producer.connect();
  try {
    const audit = await createTopicAudit({ producer, serde: options.serde, topic: options.topic });
    await audit(configAudit(options.service, options.config));
  } finally {
    await producer.disconnect();
  }
}
