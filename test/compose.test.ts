import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeFile, composeServers } from './compose.js';

const compose = readFileSync(composeFile, 'utf8');
const containers = readFileSync(new URL('./containers.ts', import.meta.url), 'utf8');

describe('the servers of docker-compose.yml, which the testcontainers harness runs', () => {
  const servers = composeServers();

  it('are read from docker-compose.yml, images and environments', () => {
    for (const { image } of Object.values(servers)) expect(compose).toContain(`image: ${image}\n`);
    expect(servers.kafka.image).toMatch(/^apache\/kafka:/);
    expect(servers.schemaRegistry.environment.SCHEMA_REGISTRY_HOST_NAME).toBe('schema-registry');
  });

  it('are named nowhere else in the harness: containers.ts holds no image of its own', () => {
    for (const { image } of Object.values(servers)) expect(containers).not.toContain(image);
    // No image:tag literal either ('redis:7.4.2', 'confluentinc/cp-kafka:7.9.0').
    expect(containers).not.toMatch(/['"`][\w./-]+:\d[\w.-]*['"`]/);
  });

  it("keep the listeners the harness builds on: Kafka's DOCKER and CONTROLLER, the registry's way to Kafka", () => {
    const listeners = servers.kafka.environment.KAFKA_LISTENERS ?? '';
    expect(listeners.split(',')).toEqual(
      expect.arrayContaining(['DOCKER://0.0.0.0:29092', 'CONTROLLER://0.0.0.0:9093']),
    );
    expect(servers.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain('DOCKER://kafka:29092');
    expect(servers.schemaRegistry.environment.SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS).toBe(
      'PLAINTEXT://kafka:29092',
    );
  });

  it('names a server the file lacks', () => {
    expect(() => composeServers('services:\n  kafka:\n    image: apache/kafka:3.9.1\n')).toThrow(
      'docker-compose.yml: service schema-registry has no image',
    );
  });
});
