import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** docker-compose.yml at the repository's root: the one declaration of the servers' images. */
export const composeFile = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));

export interface ComposeServer {
  image: string;
  environment: Record<string, string>;
}

/** The four servers as docker-compose.yml declares them, under the names testcontainers uses. */
export interface ComposeServers {
  kafka: ComposeServer;
  schemaRegistry: ComposeServer;
  redis: ComposeServer;
  clickhouse: ComposeServer;
}

const SERVICES = {
  kafka: 'kafka',
  schemaRegistry: 'schema-registry',
  redis: 'redis',
  clickhouse: 'clickhouse',
} as const satisfies Record<keyof ComposeServers, string>;

/**
 * Reads the servers' images and environments from docker-compose.yml, so the testcontainers harness
 * runs what `docker compose up` runs and the two cannot drift. Throws naming a server the file lacks.
 */
export function composeServers(text = readFileSync(composeFile, 'utf8')): ComposeServers {
  const compose = parse(text, { merge: true }) as {
    services?: Record<string, { image?: unknown; environment?: Record<string, unknown> }>;
  };
  const server = (name: string): ComposeServer => {
    const service = compose.services?.[name];
    if (typeof service?.image !== 'string') throw new Error(`docker-compose.yml: service ${name} has no image`);
    const environment = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value)]),
    );
    return { image: service.image, environment };
  };
  return {
    kafka: server(SERVICES.kafka),
    schemaRegistry: server(SERVICES.schemaRegistry),
    redis: server(SERVICES.redis),
    clickhouse: server(SERVICES.clickhouse),
  };
}
