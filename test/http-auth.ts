// Credentials for tests of the HTTP servers, and the walk over a server's routes that proves each
// refuses a request without a credential (401) and one from a principal lacking its role (403).

import {
  createHttpAuth,
  createLogger,
  examplePath,
  type HttpAuth,
  newToken,
  parseTokenEntries,
  ROLES,
  type Role,
  type RouteSpec,
} from '@pipeline/shared';

export interface TestPrincipals {
  /** HTTP_AUTH_TOKENS admitting every principal below. */
  env: string;
  /** The token of a principal holding every role. */
  all: string;
  /** Per role, the token of a principal holding only that role. */
  only: Record<Role, string>;
  /** Per role, the token of a principal holding every role but that one. */
  without: Record<Role, string>;
  /** The tokens of the principals asked for by name. */
  named: Record<string, string>;
  auth(server?: string): HttpAuth;
}

/**
 * Fresh random tokens for one test file: `all`, one per role, one lacking each role, and `named`
 * principals with the roles given (`{ 'ana.lima': ['read', 'operate'] }`).
 */
export function testPrincipals(named: Record<string, readonly Role[]> = {}): TestPrincipals {
  const entries: string[] = [];
  const make = (name: string, roles: readonly Role[]) => {
    const made = newToken(name, roles);
    entries.push(made.entry);
    return made.token;
  };
  const all = make('test-all', ROLES);
  const only = Object.fromEntries(ROLES.map((role) => [role, make(`test-${role}`, [role])])) as Record<Role, string>;
  const without = Object.fromEntries(
    ROLES.map((role) => [
      role,
      make(
        `test-no-${role}`,
        ROLES.filter((r) => r !== role),
      ),
    ]),
  ) as Record<Role, string>;
  const tokensByName = Object.fromEntries(Object.entries(named).map(([name, roles]) => [name, make(name, roles)]));
  const env = entries.join(',');
  const tokens = parseTokenEntries(env);
  return {
    env,
    all,
    only,
    without,
    named: tokensByName,
    auth: (server = 'test') => createHttpAuth({ tokens, server, logger: createLogger(server, 'silent') }),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface RouteRefusal {
  route: string;
  /** The status without a credential, and its WWW-Authenticate header. */
  anonymous: number;
  challenge: string | null;
  /** The status for a principal holding every role but the route's (null for `authenticated`). */
  wrongRole: number | null;
}

/**
 * Asks every non-public route of a server twice: without a credential, and with a principal that
 * holds every role except the route's. The answers come back per route for the test to assert.
 */
export async function refusalsOf(
  baseUrl: string,
  routes: readonly RouteSpec[],
  principals: TestPrincipals,
): Promise<RouteRefusal[]> {
  const results: RouteRefusal[] = [];
  for (const route of routes) {
    if (route.access === 'public') continue;
    const url = `${baseUrl}${examplePath(route.path)}`;
    const init = (headers: Record<string, string>): RequestInit => ({
      method: route.method,
      headers: { ...headers, ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      body: route.method === 'POST' ? '{}' : undefined,
      redirect: 'manual',
    });
    const anonymous = await fetch(url, init({}));
    await anonymous.arrayBuffer();
    let wrongRole: number | null = null;
    if (route.access !== 'authenticated') {
      const response = await fetch(url, init(bearer(principals.without[route.access])));
      await response.arrayBuffer();
      wrongRole = response.status;
    }
    results.push({
      route: `${route.method} ${route.path}`,
      anonymous: anonymous.status,
      challenge: anonymous.headers.get('www-authenticate'),
      wrongRole,
    });
  }
  return results;
}

/** What refusalsOf returns when every route is guarded, for `expect(...).toEqual(...)`. */
export function allRefused(routes: readonly RouteSpec[]): RouteRefusal[] {
  return routes
    .filter((route) => route.access !== 'public')
    .map((route) => ({
      route: `${route.method} ${route.path}`,
      anonymous: 401,
      challenge: 'Bearer realm="pipeline"',
      wrongRole: route.access === 'authenticated' ? null : 403,
    }));
}
