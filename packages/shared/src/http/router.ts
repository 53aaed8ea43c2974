import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Access, HttpAuth, Principal } from './auth.js';

export type Method = 'GET' | 'POST';

/**
 * One endpoint: its method, its path (`:name` matches one segment) and the access it needs. Every
 * server lists its routes as data, dispatches through them, and exposes them, so a test can walk
 * every endpoint and a route without an access does not type-check.
 */
export interface RouteSpec {
  readonly method: Method;
  readonly path: string;
  readonly access: Access;
}

export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** The `:name` segments, undecoded. */
  params: Record<string, string>;
  principal: Principal;
}

export interface Route extends RouteSpec {
  handle(context: RouteContext): unknown;
}

export type Match =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allowed: Method[] }
  | { kind: 'none' };

function compile(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]*)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}$`), names };
}

export interface Router {
  readonly routes: readonly RouteSpec[];
  match(method: string, path: string): Match;
  /**
   * Authenticates, authorizes and dispatches: an unknown path or method is answered (404/405) only
   * to a known principal, so nobody learns what exists without a credential. Resolves once the
   * handler has; its errors reach the caller.
   */
  dispatch(
    request: IncomingMessage,
    response: ServerResponse,
    auth: HttpAuth,
    notFound: (path: string, response: ServerResponse) => void,
    notAllowed: (method: string, allowed: Method[], response: ServerResponse) => void,
  ): Promise<void>;
}

export function createRouter(routes: readonly Route[]): Router {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  const match = (method: string, path: string): Match => {
    const asGet = method === 'HEAD' ? 'GET' : method;
    const allowed: Method[] = [];
    for (const { route, regex, names } of compiled) {
      const m = regex.exec(path);
      if (!m) continue;
      if (route.method !== asGet) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = m[i + 1] as string;
      });
      return { kind: 'route', route, params };
    }
    return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
  };
  return {
    routes: routes.map(({ method, path, access }) => ({ method, path, access })),
    match,
    async dispatch(request, response, auth, notFound, notAllowed) {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = request.method ?? 'GET';
      const found = match(method, url.pathname);
      const principal = auth.admit(request, response, found.kind === 'route' ? found.route.access : 'authenticated');
      if (!principal) return;
      if (found.kind === 'none') {
        request.resume();
        return notFound(url.pathname, response);
      }
      if (found.kind === 'method') {
        request.resume();
        return notAllowed(method, found.allowed, response);
      }
      await found.route.handle({ request, response, url, params: found.params, principal });
    },
  };
}

/** A path of the route with every `:name` segment filled in, for tests that walk the routes. */
export function examplePath(path: string, value = 'x'): string {
  return path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? value : segment))
    .join('/');
}
