import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/**
 * Parses environment variables with a zod object whose keys are the variable names. All problems are
 * reported at once, each naming its variable, so a misconfigured service stops at start with one
 * message that says what to fix.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    const given = env[variable];
    const reason = given === undefined || given === '' ? 'is not set' : `${issue.message} (got '${given}')`;
    return { variable, line: `${variable} ${reason}` };
  });
  const variables = [...new Set(problems.map((p) => p.variable))];
  return failWith(variables, `invalid configuration:\n  ${problems.map((p) => p.line).join('\n  ')}`);
}

function failWith(variables: string[], message: string): never {
  throw new ConfigError(variables, message);
}

const required = z.string({ error: 'is not set' }).trim().min(1, 'is not set');

/** Variable parsers shared by every service, so the same names mean the same thing everywhere. */
export const env = {
  string: () => required,
  /** A readable PEM certificate file (a CA for TLS): the path, checked at start so a typo stops the service. */
  pemFile: () =>
    required.refine(
      (path) => {
        try {
          return readFileSync(path, 'utf8').includes('-----BEGIN CERTIFICATE-----');
        } catch {
          return false;
        }
      },
      { message: 'must be a readable PEM certificate file' },
    ),
  /** Comma-separated host:port list, e.g. `127.0.0.1:9092,127.0.0.1:9093`. */
  brokers: () =>
    required.transform((value, ctx) => {
      const brokers = value.split(',').map((b) => b.trim());
      for (const broker of brokers) {
        if (!/^[^\s:/]+:\d{1,5}$/.test(broker)) {
          ctx.addIssue({ code: 'custom', message: `'${broker}' is not host:port` });
          return z.NEVER;
        }
      }
      return brokers;
    }),
  url: (protocols: string[]) =>
    required.refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `must be a ${protocols.join(' or ')} URL` },
    ),
  port: () => integer(0, 65535, 'must be a port number 0-65535'),
  /** `true` or `false`, nothing else: a typo must not silently mean the default. */
  flag: () =>
    required.transform((value, ctx) => {
      if (value === 'true' || value === 'false') return value === 'true';
      ctx.addIssue({ code: 'custom', message: 'must be true or false' });
      return z.NEVER;
    }),
  positiveInt: () => integer(1, Number.MAX_SAFE_INTEGER, 'must be a positive integer'),
  /** `250ms`, `5s`, `2m`, `1h`, or a bare number of milliseconds; parsed to milliseconds. */
  duration: () =>
    required.transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration like 250ms, 5s, 2m or 1h' });
        return z.NEVER;
      }
      return ms;
    }),
  /**
   * A comma-separated list of names out of `names` (e.g. the use cases a service serves:
   * `fraud,recsys`), repeats dropped; an unknown name is refused, listing the known ones.
   */
  listOf: <const N extends string>(names: readonly N[]) =>
    required.transform((value, ctx) => {
      const listed = [...new Set(value.split(',').map((v) => v.trim()))];
      const unknown = listed.filter((v) => !(names as readonly string[]).includes(v));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `unknown ${unknown.join(', ')}: one of ${names.join(', ')}` });
        return z.NEVER;
      }
      return listed as N[];
    }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** `true` or `false`. */
  boolean: () =>
    required.transform((value, ctx) => {
      if (value !== 'true' && value !== 'false') {
        ctx.addIssue({ code: 'custom', message: 'must be true or false' });
        return z.NEVER;
      }
      return value === 'true';
    }),
};

function integer(min: number, max: number, message: string) {
  return required.transform((value, ctx) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return n;
  });
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS];
}
