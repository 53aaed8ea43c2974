import { randomBytes } from 'node:crypto';
import {
  applyAcls,
  ensureCredentials,
  pipelineAcls,
  removeAcls,
  type ServerEnv,
  serviceAclRules,
  serviceKeyPatterns,
} from '@pipeline/infra';
import type { Kafka, RedisClient } from '@pipeline/shared';
import { type RunNamespace, runTopicName } from './namespace.js';
import type { ServiceName } from './services.js';

/** Each service's own credentials for a run: variables that replace the admin's. */
export type RunCredentials = Partial<Record<ServiceName, Record<string, string>>>;

export interface RunPrincipals {
  credentials: RunCredentials;
  /** Removes the run's ACLs and Redis users. */
  remove(): Promise<void>;
}

/** Redis users a run makes, with the key prefixes the run gives the services (services.ts). */
const REDIS_SERVICES = ['features', 'decision'] as const;

/**
 * Gives each service of a run its own principal on servers the local infra secured (their
 * passwords file is named, Kafka speaks SASL): on Kafka the service's SCRAM principal, with the
 * topology's ACLs applied to the run's topics and groups; on Redis a user made for the run over its
 * key prefixes, with the rules infra writes. ClickHouse stays the admin's: 18.16 cannot give a
 * role a database made at run time. Undefined elsewhere: services then use the servers' variables.
 */
export async function runPrincipals(
  ns: RunNamespace,
  servers: ServerEnv,
  clients: { kafka: Kafka; redis: RedisClient },
): Promise<RunPrincipals | undefined> {
  if (!servers.PIPELINE_CREDENTIALS || servers.KAFKA_SECURITY_PROTOCOL !== 'SASL_SSL') return undefined;
  const passwords = ensureCredentials(servers.PIPELINE_CREDENTIALS);
  const acls = pipelineAcls({
    topic: (name) => runTopicName(ns.id, name),
    groupPrefix: (principal) => `${ns.groupPrefix}${principal}`,
  });
  const admin = clients.kafka.admin();
  await admin.connect();
  try {
    await applyAcls(admin, acls);
  } finally {
    await admin.disconnect();
  }
  const patterns = serviceKeyPatterns({
    features: `${ns.redisPrefix}f:`,
    decision: `${ns.redisPrefix}d:`,
    api: `${ns.redisPrefix}api:`,
  });
  const redisUsers = Object.fromEntries(
    REDIS_SERVICES.map((service) => [
      service,
      { name: `${ns.id}-${service}`, password: randomBytes(24).toString('hex') },
    ]),
  ) as Record<(typeof REDIS_SERVICES)[number], { name: string; password: string }>;
  for (const service of REDIS_SERVICES) {
    const user = redisUsers[service];
    await clients.redis.call(
      'ACL',
      'SETUSER',
      user.name,
      'reset',
      ...serviceAclRules(user.password, patterns[service]),
    );
  }
  const kafkaPrincipal = (service: ServiceName) => ({
    KAFKA_SASL_USERNAME: service,
    KAFKA_SASL_PASSWORD: passwords.kafka[service] as string,
  });
  const redisUrl = (service: (typeof REDIS_SERVICES)[number]) => {
    const url = new URL(servers.REDIS_URL);
    url.username = redisUsers[service].name;
    url.password = redisUsers[service].password;
    return { REDIS_URL: url.toString() };
  };
  return {
    credentials: {
      features: { ...kafkaPrincipal('features'), ...redisUrl('features') },
      scorer: kafkaPrincipal('scorer'),
      decision: { ...kafkaPrincipal('decision'), ...redisUrl('decision') },
      sink: kafkaPrincipal('sink'),
      monitor: kafkaPrincipal('monitor'),
    },
    remove: async () => {
      const cleanup = clients.kafka.admin();
      await cleanup.connect();
      try {
        await removeAcls(cleanup, acls);
      } finally {
        await cleanup.disconnect();
      }
      for (const user of Object.values(redisUsers)) await clients.redis.call('ACL', 'DELUSER', user.name);
    },
  };
}
