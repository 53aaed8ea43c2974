import { ClickHouseContainer } from '@testcontainers/clickhouse';
import { KafkaContainer } from '@testcontainers/kafka';
import { RedisContainer } from '@testcontainers/redis';
import { GenericContainer, getContainerRuntimeClient, Network, Wait } from 'testcontainers';
import type { Servers } from './servers.js';

/** Same images as docker-compose.yml. */
const IMAGES = {
  kafka: 'confluentinc/cp-kafka:7.9.0',
  schemaRegistry: 'confluentinc/cp-schema-registry:7.9.0',
  redis: 'redis:7.4.2',
  clickhouse: 'clickhouse/clickhouse-server:25.3',
};

export async function dockerReachable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Starts the four servers in containers, for machines with a Docker engine and no local servers. */
export async function startContainers(): Promise<{ servers: Servers; stop: () => Promise<void> }> {
  const network = await new Network().start();
  const [kafka, redis, clickhouse] = await Promise.all([
    new KafkaContainer(IMAGES.kafka).withKraft().withNetwork(network).withNetworkAliases('kafka').start(),
    new RedisContainer(IMAGES.redis).start(),
    new ClickHouseContainer(IMAGES.clickhouse).start(),
  ]);
  const registry = await new GenericContainer(IMAGES.schemaRegistry)
    .withNetwork(network)
    .withEnvironment({
      SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
      SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
      SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:9092',
    })
    .withExposedPorts(8081)
    .withWaitStrategy(Wait.forHttp('/subjects', 8081))
    .start();
  const chUrl = new URL(clickhouse.getHttpUrl());
  chUrl.username = clickhouse.getUsername();
  chUrl.password = clickhouse.getPassword();
  return {
    servers: {
      KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
      REDIS_URL: redis.getConnectionUrl(),
      CLICKHOUSE_URL: chUrl.toString().replace(/\/$/, ''),
    },
    async stop() {
      await Promise.allSettled([registry.stop(), redis.stop(), clickhouse.stop()]);
      await kafka.stop();
      await network.stop();
    },
  };
}
