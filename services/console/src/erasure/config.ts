import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, clickhouseVars, env, parseEnv, piiVars, redisVars, withKeyRing } from '@pipeline/shared';
import { customerIdProblem } from '../review/request.js';

/**
 * `npm run erase`'s environment: the servers, the PII key ring (the sink's), and the Redis prefixes
 * of the feature service and the decision engine (their own variables, with their defaults).
 */
export const eraseVars = {
  ...clickhouseVars,
  ...redisVars,
  ...piiVars,
  FEATURES_KEY_PREFIX: env.string().default('f:'),
  DECISION_REDIS_PREFIX: env.string().default('decision:'),
};

export const ERASE_USAGE =
  'usage: npm run erase -- --customer <id> [--by <who>] [--why <reason>]  (CLICKHOUSE_URL, REDIS_URL, PII_TOKEN_KEYS)';

export interface EraseOptions {
  customerId: string;
  actor: string;
  reason: string;
}

/** The command line: the customer is required and must be an id a transaction could carry. */
export function parseEraseArgs(args: readonly string[], user = safeUser()): EraseOptions {
  let values: { customer?: string; by?: string; why?: string };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { customer: { type: 'string' }, by: { type: 'string' }, why: { type: 'string' } },
    }));
  } catch (error) {
    throw new ConfigError(['arguments'], `${(error as Error).message}\n${ERASE_USAGE}`);
  }
  const customerId = values.customer?.trim() ?? '';
  if (customerId === '') throw new ConfigError(['--customer'], `--customer is missing\n${ERASE_USAGE}`);
  const problem = customerIdProblem(customerId);
  if (problem) throw new ConfigError(['--customer'], `--customer: ${problem}`);
  return {
    customerId,
    actor: values.by?.trim() || user,
    reason: values.why?.trim() || 'erasure request (GDPR art. 17)',
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

export function loadEraseConfig(vars: Record<string, string | undefined> = process.env) {
  const { config, tokenizer } = withKeyRing(() => parseEnv(eraseVars, vars), vars);
  return { ...config, tokenizer };
}
