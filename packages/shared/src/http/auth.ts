// The module object, not named imports: the test watches that every entry is compared.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Counter, metrics } from '@opentelemetry/api';
import { z } from 'zod';
import type { Logger } from '../logging/logger.js';

/**
 * What a principal may do over HTTP. `read`: pages, GETs, readiness and metrics. `operate`: the
 * console's writes (promote, rollback, review). `decide`: POST /v1/decisions on the decision API.
 * Roles do not imply one another: an operator who also reads the console holds `read+operate`.
 */
export const ROLES = ['read', 'operate', 'decide'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs: a role, any known principal (`authenticated`: 404/405 answers), or nothing (liveness). */
export type Access = Role | 'authenticated' | 'public';

export interface Principal {
  readonly name: string;
  readonly roles: readonly Role[];
}

/** One principal of HTTP_AUTH_TOKENS: the SHA-256 of its token, never the token itself. */
export interface TokenEntry extends Principal {
  readonly sha256: Buffer;
}

/** Nobody: what a public route is served to. */
export const ANONYMOUS: Principal = { name: '(anonymous)', roles: [] };

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** RFC 6750 b64token. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function sha256(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/** A fresh random token (256 bits, base64url) and the HTTP_AUTH_TOKENS entry that admits it. */
export function newToken(name: string, roles: readonly Role[]): { token: string; entry: string } {
  const token = crypto.randomBytes(32).toString('base64url');
  return { token, entry: tokenEntry(name, roles, token) };
}

/** The HTTP_AUTH_TOKENS entry `name:role+role:sha256hex` for a token. */
export function tokenEntry(name: string, roles: readonly Role[], token: string): string {
  return `${name}:${roles.join('+')}:${sha256(token).toString('hex')}`;
}

/**
 * Parses `name:role[+role...]:sha256hex` entries separated by commas. Throws an Error naming the
 * entry at fault (never echoing more than its name).
 */
export function parseTokenEntries(value: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new Error('lists no principal; give name:role[+role]:sha256hex entries');
  for (const [index, item] of items.entries()) {
    const parts = item.split(':');
    const at = `entry ${index + 1}`;
    if (parts.length !== 3) throw new Error(`${at} is not name:role[+role]:sha256hex`);
    const [name, roleList, hex] = parts as [string, string, string];
    if (!NAME.test(name)) throw new Error(`${at}: name must be 1-64 of letters, digits, '.', '_', '@', '-'`);
    const roles = roleList.split('+');
    for (const role of roles) {
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new Error(`${at} (${name}): unknown role '${role}'; roles are ${ROLES.join(', ')}`);
      }
    }
    if (new Set(roles).size !== roles.length) throw new Error(`${at} (${name}) repeats a role`);
    if (!SHA256_HEX.test(hex)) {
      throw new Error(`${at} (${name}): the hash must be 64 lowercase hex digits (the SHA-256 of the token)`);
    }
    if (entries.some((e) => e.name === name)) throw new Error(`${at}: principal '${name}' is listed twice`);
    const digest = Buffer.from(hex, 'hex');
    if (entries.some((e) => e.sha256.equals(digest))) throw new Error(`${at} (${name}) has another entry's token`);
    entries.push({ name, roles: roles as Role[], sha256: digest });
  }
  return entries;
}

/** HTTP_AUTH_TOKENS as a zod parser for parseEnv: a bad value stops the service naming the variable. */
export const httpAuthTokens = () =>
  z
    .string({ error: 'is not set' })
    .trim()
    .min(1, 'is not set')
    .transform((value, ctx) => {
      try {
        return parseTokenEntries(value);
      } catch (error) {
        // The message names the entry, not the value: parseEnv echoes the value otherwise.
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

/**
 * The principal whose token this is. Every entry is compared, each in constant time over the
 * digests, so neither the position of a match nor a near miss shows in the time taken.
 */
export function authenticateToken(entries: readonly TokenEntry[], token: string): Principal | undefined {
  const digest = sha256(token);
  let found: TokenEntry | undefined;
  for (const entry of entries) {
    if (crypto.timingSafeEqual(entry.sha256, digest) && !found) found = entry;
  }
  return found ? { name: found.name, roles: found.roles } : undefined;
}

export type BearerResult = { kind: 'none' } | { kind: 'malformed'; reason: string } | { kind: 'token'; token: string };

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | string[] | undefined): BearerResult {
  if (header === undefined || header === '') return { kind: 'none' };
  if (Array.isArray(header)) return { kind: 'malformed', reason: 'more than one Authorization header' };
  const match = /^(\S+) +(\S+)$/.exec(header.trim());
  if (!match || (match[1] as string).toLowerCase() !== 'bearer') {
    return { kind: 'malformed', reason: 'the Authorization header is not "Bearer <token>"' };
  }
  const token = match[2] as string;
  if (!TOKEN.test(token)) return { kind: 'malformed', reason: 'the bearer token has characters a token cannot have' };
  return { kind: 'token', token };
}

export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'forbidden';

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; failure: AuthFailure; error: string; principal?: string };

/** Whether `principal` (undefined: not authenticated) may use a route needing `access`. */
export function permits(principal: Principal | undefined, access: Access): boolean {
  if (access === 'public') return true;
  if (!principal) return false;
  return access === 'authenticated' || principal.roles.includes(access);
}

export interface HttpAuthOptions {
  tokens: readonly TokenEntry[];
  logger: Logger;
  /** Names this server in logs and in the failure counter (`health`, `console`, `features-api`...). */
  server: string;
  /** Another credential than a bearer token (the console's session cookie); asked when no header came. */
  session?: (request: IncomingMessage) => Principal | undefined;
  /** An HTML page for a refused browser request (the console's sign-in page); JSON otherwise. */
  page?: (request: IncomingMessage, outcome: AuthOutcome & { ok: false }) => string | undefined;
}

export interface HttpAuth {
  /** Who sent the request and whether they may do `access`; failures are logged and counted. */
  check(request: IncomingMessage, access: Access): AuthOutcome;
  /** The principal of a token, for a login form. Undefined (logged and counted) if it is nobody's. */
  login(token: string, request: IncomingMessage): Principal | undefined;
  /** Answers a refused request: 401 with WWW-Authenticate, or 403; `html` replaces the JSON body. */
  refuse(response: ServerResponse, outcome: AuthOutcome & { ok: false }, html?: string): void;
  /** check, then refuse when refused: the principal, or undefined once the answer is sent. */
  admit(request: IncomingMessage, response: ServerResponse, access: Access): Principal | undefined;
}

export const REALM = 'pipeline';

let failures: Counter | undefined;
/** Created on first use: after startTelemetry has set the meter provider that exports it. */
function failureCounter(): Counter {
  failures ??= metrics.getMeter('@pipeline/shared').createCounter('http_auth_failures', {
    description: 'HTTP requests refused for a missing, malformed or unknown credential (401) or a missing role (403)',
  });
  return failures;
}

/** The one place HTTP servers authenticate and authorize: bearer tokens (and the console's sessions). */
export function createHttpAuth(options: HttpAuthOptions): HttpAuth {
  const { tokens, logger, server } = options;

  const fail = (
    request: IncomingMessage,
    access: Access,
    failure: AuthFailure,
    error: string,
    principal?: string,
  ): AuthOutcome & { ok: false } => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    // Never the token or the header: the method, the path, who (when known) and why.
    logger.warn(
      {
        auth: { server, failure, principal, access },
        method: request.method,
        path,
        remote: request.socket.remoteAddress,
      },
      'http authentication failed',
    );
    failureCounter().add(1, { server, failure });
    return { ok: false, status: failure === 'forbidden' ? 403 : 401, failure, error, principal };
  };

  const check = (request: IncomingMessage, access: Access): AuthOutcome => {
    if (access === 'public') return { ok: true, principal: ANONYMOUS };
    const bearer = bearerToken(request.headers.authorization);
    let principal: Principal | undefined;
    if (bearer.kind === 'malformed') return fail(request, access, 'malformed', bearer.reason);
    if (bearer.kind === 'token') {
      principal = authenticateToken(tokens, bearer.token);
      if (!principal) return fail(request, access, 'unknown', 'the bearer token is not known');
    } else {
      principal = options.session?.(request);
      if (!principal) return fail(request, access, 'missing', 'this needs a credential: Authorization: Bearer <token>');
    }
    if (!permits(principal, access)) {
      return fail(request, access, 'forbidden', `${principal.name} lacks the role '${access}'`, principal.name);
    }
    return { ok: true, principal };
  };

  const refuse = (response: ServerResponse, outcome: AuthOutcome & { ok: false }, html?: string) => {
    const headers: Record<string, string> = {
      'content-type': html === undefined ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    };
    if (outcome.status === 401) {
      headers['www-authenticate'] =
        outcome.failure === 'missing'
          ? `Bearer realm="${REALM}"`
          : `Bearer realm="${REALM}", error="${outcome.failure === 'malformed' ? 'invalid_request' : 'invalid_token'}"`;
    }
    response.writeHead(outcome.status, headers);
    response.end(html ?? JSON.stringify({ error: outcome.error }));
  };

  return {
    check,
    refuse,
    login(token, request) {
      const principal = TOKEN.test(token) ? authenticateToken(tokens, token) : undefined;
      if (!principal) fail(request, 'authenticated', 'unknown', 'the token is not known');
      return principal;
    },
    admit(request, response, access) {
      const outcome = check(request, access);
      if (outcome.ok) return outcome.principal;
      // The body of a refused POST is not read: drain it so the answer reaches the client.
      request.resume();
      refuse(response, outcome, options.page?.(request, outcome));
      return undefined;
    },
  };
}
