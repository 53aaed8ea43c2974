import type { AvroSerde, Producer } from '@pipeline/shared';
import { type Alert, type RetrainingTrigger, schemaFor, valueSubject } from '@pipeline/topology';

export interface AlertPublisher {
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  publish(alerts: readonly Alert[], triggers: readonly RetrainingTrigger[]): Promise<void>;
}

export async function createAlertPublisher(options: {
  producer: Producer;
  serde: AvroSerde;
  topics: { alerts: string; retrainingTriggers: string };
}): Promise<AlertPublisher> {
  const { producer, serde, topics } = options;
  const alertEncoder = await serde.encoder<Alert>(valueSubject(topics.alerts), schemaFor('monitor/alert').type);
  const triggerEncoder = await serde.encoder<RetrainingTrigger>(
    valueSubject(topics.retrainingTriggers),
    schemaFor('monitor/retraining-trigger').type,
  );
  return {
    async publish(alerts, triggers) {
      const topicMessages = [];
      if (alerts.length > 0) {
        topicMessages.push({
          topic: topics.alerts,
          messages: alerts.map((a) => ({ key: a.model_name, value: alertEncoder.encode(a) })),
        });
      }
      if (triggers.length > 0) {
        topicMessages.push({
          topic: topics.retrainingTriggers,
          messages: triggers.map((t) => ({ key: t.model_name, value: triggerEncoder.encode(t) })),
        });
      }
      if (topicMessages.length > 0) await producer.sendBatch({ acks: -1, topicMessages });
    },
  };
}
