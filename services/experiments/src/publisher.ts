import type { AvroSerde, Producer } from '@pipeline/shared';
import { type ExperimentDecision, schemaFor, valueSubject } from '@pipeline/topology';

export interface DecisionPublisher {
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  publish(decisions: readonly ExperimentDecision[]): Promise<void>;
}

export async function createDecisionPublisher(options: {
  producer: Producer;
  serde: AvroSerde;
  topic: string;
}): Promise<DecisionPublisher> {
  const { producer, serde, topic } = options;
  const encoder = await serde.encoder<ExperimentDecision>(valueSubject(topic), schemaFor('experiments/decision').type);
  return {
    async publish(decisions) {
      if (decisions.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        messages: decisions.map((d) => ({ key: d.experiment, value: encoder.encode(d) })),
      });
    },
  };
}
