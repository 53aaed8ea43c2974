// The services' key modules say which keys they build; infra runs from the repository with tsx.
import { DEFAULT_PREFIX as API_PREFIX, keyPattern as apiKeyPattern } from '../../../services/api/src/keys.js';
import {
  DEFAULT_PREFIX as DECISION_PREFIX,
  keyPattern as decisionKeyPattern,
} from '../../../services/decision/src/keys.js';
import {
  DEFAULT_PREFIX as FEATURES_PREFIX,
  keyPattern as featuresKeyPattern,
} from '../../../services/features/src/keys.js';
import type { RedisUserName } from './credentials.js';

/**
 * What a service may run: reading and writing data, scripts, MULTI, and the connection commands,
 * without the dangerous ones (FLUSHALL, KEYS, CONFIG, ACL, DEBUG, ...). INFO and CLUSTER SLOTS/INFO/NODES
 * come back: the client checks the server's mode at start (connectRedis) and a Cluster client maps slots.
 */
export const SERVICE_COMMANDS = [
  '-@all',
  '+@read',
  '+@write',
  '+@keyspace',
  '+@scripting',
  '+@transaction',
  '+@connection',
  '-@dangerous',
  '+info',
  '+cluster|slots',
  '+cluster|info',
  '+cluster|nodes',
] as const;

/** The rules of one service user, as an ACL file writes them after `user <name>` (and ACL SETUSER takes them). */
export function serviceAclRules(password: string, keyPatterns: readonly string[]): string[] {
  return ['on', `>${password}`, ...keyPatterns.map((p) => `~${p}`), 'resetchannels', ...SERVICE_COMMANDS];
}

/**
 * The key patterns of each service user at the services' default prefixes (FEATURES_KEY_PREFIX,
 * DECISION_REDIS_PREFIX, API_REDIS_PREFIX). The API joins the decision engine's state, so it also
 * gets the engine's keys.
 */
export function serviceKeyPatterns(
  prefixes: { features: string; decision: string; api: string } = {
    features: FEATURES_PREFIX,
    decision: DECISION_PREFIX,
    api: API_PREFIX,
  },
): Record<Exclude<RedisUserName, 'admin'>, string[]> {
  return {
    features: [featuresKeyPattern(prefixes.features)],
    decision: [decisionKeyPattern(prefixes.decision)],
    api: [apiKeyPattern(prefixes.api), decisionKeyPattern(prefixes.decision)],
  };
}

/**
 * The ACL file: `default` (what a client without credentials is) off, `admin` with everything
 * (migrations, tests, operators), each service with its own keys and SERVICE_COMMANDS.
 */
export function redisAclFile(passwords: Record<RedisUserName, string>): string {
  const lines = ['user default off resetkeys resetchannels -@all', `user admin on >${passwords.admin} ~* &* +@all`];
  for (const [name, patterns] of Object.entries(serviceKeyPatterns())) {
    lines.push(`user ${name} ${serviceAclRules(passwords[name as RedisUserName], patterns).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
