import { openRegistry } from '@pipeline/scorer';
import {
  type AvroSerde,
  type BatchConsumer,
  type ConsumerTuning,
  createBatchConsumer,
  type DeadLetterPublisher,
  type Kafka,
  type Logger,
} from '@pipeline/shared';
import { type RetrainingTrigger, schemaFor } from '@pipeline/topology';
import { alreadyRetrained, type RetrainDeps, type RetrainingRecord, retrain, validateTrigger } from './retrain.js';

/**
 * The retraining job's consumer: one trigger at a time, in order per model. A trigger that does not
 * decode, or names a model the registry does not hold, is dead-lettered with the reason; a trigger
 * already retrained (a redelivery, or the monitor re-sending after a crash) is skipped. The batch
 * heartbeats while the trainer runs, so a long training does not cost the partition.
 */
export function createTriggerConsumer(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topic: string;
  groupId: string;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  retrain: RetrainDeps;
  onRetrained?: (record: RetrainingRecord) => void;
  onCrash?: (error: Error) => void;
  tuning?: ConsumerTuning;
}): BatchConsumer {
  const { retrain: deps, logger } = options;
  const registry = openRegistry(deps.settings);
  return createBatchConsumer<RetrainingTrigger>({
    kafka: options.kafka,
    groupId: options.groupId,
    decoders: {
      [options.topic]: options.serde.decoder<RetrainingTrigger>(schemaFor('monitor/retraining-trigger').type),
    },
    deadLetters: options.deadLetters,
    logger,
    fromBeginning: true,
    ...options.tuning,
    onCrash: options.onCrash,
    handler: async (records, context) => {
      const rejected = [];
      for (const record of records) {
        const trigger = record.value;
        try {
          await validateTrigger(trigger, registry);
        } catch (error) {
          rejected.push({ record, error });
          continue;
        }
        if (await alreadyRetrained(deps.clickhouse, trigger.trigger_id)) {
          logger.info({ trigger: trigger.trigger_id }, 'trigger already retrained: skipped');
          continue;
        }
        const beat = setInterval(() => void context.heartbeat().catch(() => {}), 3_000);
        try {
          options.onRetrained?.(await retrain(deps, trigger));
        } finally {
          clearInterval(beat);
        }
      }
      return { rejected };
    },
  });
}
