import { createServer } from 'node:net';
import { ClickHouseContainer } from '@testcontainers/clickhouse';
import { RedisContainer } from '@testcontainers/redis';
import { GenericContainer, getContainerRuntimeClient, Network, Wait } from 'testcontainers';
import { composeServers } from './compose.js';
import type { Servers } from './servers.js';

export async function dockerReachable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** A TCP port free on this machine now, for a container port published under the same number. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the four servers in containers, for machines with a Docker engine and no local servers:
 * the images and settings of docker-compose.yml (read from it, so the two cannot drift). Kafka runs
 * with compose's environment except its host listener, which is published on a free port and
 * advertised under it; the registry reaches Kafka as compose's does, at kafka:29092 on one network.
 */
export async function startContainers(): Promise<{ servers: Servers; stop: () => Promise<void> }> {
  const compose = composeServers();
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const kafkaPort = await freePort();
  const network = await new Network().start();
  const [kafka, redis, clickhouse] = await Promise.all([
    new GenericContainer(compose.kafka.image)
      .withNetwork(network)
      .withNetworkAliases('kafka')
      .withEnvironment({
        ...compose.kafka.environment,
        KAFKA_LISTENERS: `HOST://0.0.0.0:${kafkaPort},DOCKER://0.0.0.0:29092,CONTROLLER://0.0.0.0:9093`,
        KAFKA_ADVERTISED_LISTENERS: `HOST://${host}:${kafkaPort},DOCKER://kafka:29092`,
      })
      .withExposedPorts({ container: kafkaPort, host: kafkaPort })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start(),
    new RedisContainer(compose.redis.image).start(),
    new ClickHouseContainer(compose.clickhouse.image).start(),
  ]);
  const registry = await new GenericContainer(compose.schemaRegistry.image)
    .withNetwork(network)
    .withEnvironment(compose.schemaRegistry.environment)
    .withExposedPorts(8081)
    .withWaitStrategy(Wait.forHttp('/subjects', 8081))
    .start();
  const chUrl = new URL(clickhouse.getHttpUrl());
  chUrl.username = clickhouse.getUsername();
  chUrl.password = clickhouse.getPassword();
  return {
    servers: {
      KAFKA_BROKERS: `${host}:${kafkaPort}`,
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
