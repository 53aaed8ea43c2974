import { join } from 'node:path';
import { securityDir, setSecurity } from './security/index.js';
import { defaultSet, type ServerSet, setPort } from './server-set.js';

/** The variables that name the servers, read by services, tests, the demo and docker-compose alike. */
export const SERVER_VARS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL', 'CLICKHOUSE_URL'] as const;

/**
 * MLflow (tracking and the optional model registry) is named by its own variable and optional: only
 * what uses MLflow needs it (MODEL_REGISTRY=mlflow, the trainer's run logging, their tests).
 */
export const MLFLOW_VAR = 'MLFLOW_TRACKING_URI';

/**
 * How to reach the servers securely: CAs to trust and the Kafka principal. Credentials of Redis and
 * ClickHouse ride in REDIS_URL and CLICKHOUSE_URL. Optional: servers reached over plaintext need none.
 */
export const SECURITY_VARS = [
  'KAFKA_SECURITY_PROTOCOL',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_TLS_CA',
  'REDIS_TLS_CA',
  'CLICKHOUSE_TLS_CA',
  /** The local set's passwords file (security/credentials.json): per-service users for tests and env files. */
  'PIPELINE_CREDENTIALS',
] as const;

export type ServerEnv = Record<(typeof SERVER_VARS)[number], string> & {
  MLFLOW_TRACKING_URI?: string;
} & Partial<Record<(typeof SECURITY_VARS)[number], string>>;

/**
 * The addresses of a set of local servers (see server-set.ts) with the admin credentials and the
 * set's CA (made on first use); MLflow's too with `mlflow` (only where it is started: a trainer
 * given the address logs its runs there). Services get their own users instead (serviceEnv).
 */
export function setEnv(set: ServerSet, options: { mlflow?: boolean } = {}): ServerEnv {
  const port = (p: number) => setPort(set, p);
  const { tls, credentials } = setSecurity(set);
  return {
    KAFKA_BROKERS: `127.0.0.1:${port(9092)}`,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_USERNAME: 'admin',
    KAFKA_SASL_PASSWORD: credentials.kafka.admin as string,
    KAFKA_TLS_CA: tls.ca,
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port(8081)}/apis/ccompat/v7`,
    REDIS_URL: `rediss://admin:${credentials.redis.admin}@127.0.0.1:${port(6379)}`,
    REDIS_TLS_CA: tls.ca,
    CLICKHOUSE_URL: `https://admin:${credentials.clickhouse.admin}@127.0.0.1:${port(8443)}`,
    CLICKHOUSE_TLS_CA: tls.ca,
    PIPELINE_CREDENTIALS: join(securityDir(set), 'credentials.json'),
    ...(options.mlflow ? { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port(5000)}` } : {}),
  };
}

/** Where `npm run infra:up` puts the servers, MLflow included. */
export const localEnv = (): Required<Omit<ServerEnv, (typeof SECURITY_VARS)[number]>> & ServerEnv =>
  setEnv(defaultSet, { mlflow: true }) as Required<Omit<ServerEnv, (typeof SECURITY_VARS)[number]>> & ServerEnv;

/**
 * Which servers a command should use: the ones the environment names when it names all four, the
 * local ones when it names none. Naming only some is a mistake, reported with the missing names.
 * MLFLOW_TRACKING_URI and the SECURITY_VARS come along when set.
 */
export function serversFromEnv(env: Record<string, string | undefined> = process.env): ServerEnv | undefined {
  const set = SERVER_VARS.filter((name) => env[name]);
  if (set.length === 0) return undefined;
  if (set.length < SERVER_VARS.length) {
    const missing = SERVER_VARS.filter((name) => !env[name]);
    throw new Error(
      `${set.join(', ')} set but ${missing.join(', ')} not: set all four, or none to use the local servers`,
    );
  }
  const servers = Object.fromEntries(
    [...SERVER_VARS, ...SECURITY_VARS].filter((name) => env[name]).map((name) => [name, env[name] as string]),
  ) as ServerEnv;
  const mlflow = env[MLFLOW_VAR];
  return mlflow ? { ...servers, [MLFLOW_VAR]: mlflow } : servers;
}
