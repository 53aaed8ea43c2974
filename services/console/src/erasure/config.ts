import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, clickhouseVars, env, parseEnv, piiVars, redisVars, withKeyRing } from '@pipeline/shared';
import { idProblem } from '@pipeline/topology';
import { customerIdProblem } from '../review/request.js';
import type { Subject } from './plan.js';

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

/** Exit code of a bad or missing argument (the shell's usage error), apart from bad configuration's 78. */
export const EXIT_USAGE = 2;

export const ERASE_USAGE =
  'usage: npm run erase -- (--customer <id> | --user <id>) [--by <who>] [--why <reason>]  (CLICKHOUSE_URL, REDIS_URL, PII_TOKEN_KEYS)';

export interface EraseOptions {
  /** A fraud customer (card) or a recommendation user. */
  subject: Subject;
  /** The raw id. */
  id: string;
  actor: string;
  reason: string;
}

/** Why an id given on the command line cannot be the subject's (the contracts' rule for ids), or undefined. */
const ID_PROBLEM: Record<Subject, (id: string) => string | undefined> = {
  customer: customerIdProblem,
  user: (id) => idProblem('user id', id),
};

/** The command line, or the reason on stderr and exit EXIT_USAGE. */
export function eraseArgsOrExit(args: readonly string[]): EraseOptions {
  try {
    return parseEraseArgs(args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`erase: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
}

/** The command line: exactly one of --customer and --user, an id a transaction or interaction could carry. */
export function parseEraseArgs(args: readonly string[], user = safeUser()): EraseOptions {
  let values: { customer?: string; user?: string; by?: string; why?: string };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        customer: { type: 'string' },
        user: { type: 'string' },
        by: { type: 'string' },
        why: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new ConfigError(['arguments'], `${(error as Error).message}\n${ERASE_USAGE}`);
  }
  const given = (['customer', 'user'] as const).filter((s) => values[s] !== undefined);
  if (given.length > 1) {
    throw new ConfigError(['--customer', '--user'], `give --customer or --user, not both\n${ERASE_USAGE}`);
  }
  const subject: Subject = given[0] ?? 'customer';
  const id = values[subject]?.trim() ?? '';
  if (id === '') {
    const flag = given.length === 0 ? '--customer or --user' : `--${subject}`;
    throw new ConfigError([`--${subject}`], `${flag} is missing\n${ERASE_USAGE}`);
  }
  const problem = ID_PROBLEM[subject](id);
  if (problem) throw new ConfigError([`--${subject}`], `--${subject}: ${problem}\n${ERASE_USAGE}`);
  return {
    subject,
    id,
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
