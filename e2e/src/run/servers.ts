import {
  defaultSet,
  down,
  localServers,
  type ServerEnv,
  type ServerSet,
  serversFromEnv,
  setEnv,
  up,
} from '@pipeline/infra';
import {
  type AvroSerde,
  type ClickHouseClient,
  clickhouseVars,
  createAvroSerde,
  createClickHouse,
  createKafka,
  createLogger,
  createRegistryClient,
  errorMessage,
  type Kafka,
  kafkaSecurityOf,
  kafkaVars,
  parseEnv,
  redisTls,
  redisVars,
  type SchemaRegistryClient,
  schemaRegistryVars,
} from '@pipeline/shared';
import { Redis } from 'ioredis';
import type { RunNamespace } from './namespace.js';
import { type RunCredentials, type RunPrincipals, runPrincipals } from './principals.js';
import { removeRunResources } from './resources.js';

export interface RunServers {
  servers: ServerEnv;
  /** The local servers this run started (none when the environment named them). */
  started: string[];
  /** Stops the servers this run started. */
  stop(report?: (line: string) => void): Promise<void>;
}

/**
 * The servers a run uses: those the four server variables name (checked first: a bad address stops
 * the run, exit 78 naming the variable), else the local ones of `set`, started if they are not
 * running.
 */
export async function runServers(say: (text: string) => void, set: ServerSet = defaultSet): Promise<RunServers> {
  const configured = serversFromEnv();
  if (configured) parseEnv({ ...kafkaVars, ...schemaRegistryVars, ...redisVars, ...clickhouseVars }, configured);
  let started: string[] = [];
  if (!configured) {
    const where = set === defaultSet ? '' : `, a set of its own ("${set.name}", ports +${set.portOffset})`;
    say(`Servers: Kafka, Schema Registry, Redis, ClickHouse${where} (installed into .local/ on first use)`);
    started = await up(console.log, localServers(set));
  }
  return {
    servers: configured ?? setEnv(set),
    started,
    stop: async (report = () => {}) => {
      if (started.length > 0) await down(report, localServers(set), started);
    },
  };
}

export interface RunClients {
  kafka: Kafka;
  registry: SchemaRegistryClient;
  serde: AvroSerde;
  /** ClickHouse outside the run's database (creating and dropping it). */
  clickhouse: ClickHouseClient;
  /** ClickHouse in the run's database. */
  runClickhouse: ClickHouseClient;
  redis: Redis;
  /**
   * Makes each service's own principal for the run (principals.ts), once; undefined where the
   * servers are not the local secured ones. removeRun removes them.
   */
  principals(): Promise<RunCredentials | undefined>;
  /** Deletes the run's topics, subjects, groups, database, keys and principals; a failure is reported, not thrown. */
  removeRun(): Promise<void>;
  close(): Promise<void>;
}

/** The clients a run's driver (demo, chaos, replay check) talks to the servers with. */
export function runClients(name: string, servers: ServerEnv, ns: RunNamespace): RunClients {
  const logger = createLogger(name, 'error');
  const kafka = createKafka({
    brokers: servers.KAFKA_BROKERS.split(','),
    clientId: name,
    logger,
    security: kafkaSecurityOf(servers),
  });
  const registry = createRegistryClient(servers.SCHEMA_REGISTRY_URL);
  const clickhouse = createClickHouse(servers);
  const runClickhouse = createClickHouse(servers, ns.clickhouseDatabase);
  const redis = new Redis(servers.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3, ...redisTls(servers) });
  let principals: Promise<RunPrincipals | undefined> | undefined;
  return {
    kafka,
    registry,
    serde: createAvroSerde(registry),
    clickhouse,
    runClickhouse,
    redis,
    principals: async () => {
      principals ??= runPrincipals(ns, servers, { kafka, redis });
      return (await principals)?.credentials;
    },
    removeRun: async () => {
      await removeRunResources({ ns, kafka, registry, clickhouse, redis }).catch((error: unknown) =>
        console.error(`could not remove the run's topics, tables and keys: ${errorMessage(error)}`),
      );
      await (await principals?.catch(() => undefined))
        ?.remove()
        .catch((error: unknown) => console.error(`could not remove the run's ACLs and users: ${errorMessage(error)}`));
    },
    close: async () => {
      redis.disconnect();
      await Promise.all([clickhouse.close(), runClickhouse.close()]);
    },
  };
}
