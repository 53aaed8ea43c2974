import { localEnv, serversFromEnv } from '@pipeline/infra/env';
import {
  createKafka,
  createRegistryClient,
  kafkaSecurity,
  kafkaVars,
  parseEnv,
  runMain,
  schemaRegistryVars,
} from '@pipeline/shared';
import { applyTopology } from '../src/index.js';

// `npm run topology:apply`: the servers the environment names, or the local ones when it names none.
await runMain('topology:apply', async () => {
  const config = parseEnv({ ...kafkaVars, ...schemaRegistryVars }, serversFromEnv() ?? localEnv());
  const result = await applyTopology({
    kafka: createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'topology-apply', security: kafkaSecurity(config) }),
    registry: createRegistryClient(config.SCHEMA_REGISTRY_URL),
  });
  console.log(`created: ${result.created.join(', ') || '(none)'}`);
  console.log(`already there: ${result.existing.join(', ') || '(none)'}`);
  for (const f of result.fewerPartitions)
    console.warn(`warning: ${f.name} has ${f.actual} partitions, ${f.declared} declared`);
  for (const [topic, id] of Object.entries(result.schemaIds)) console.log(`schema ${topic}-value: id ${id}`);
});
