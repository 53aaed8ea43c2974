import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpAuth } from '../http/auth.js';
import { createRouter, type Route, type RouteSpec } from '../http/router.js';

export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface HealthServer {
  readonly port: number;
  /** Every endpoint with the access it needs. */
  readonly routes: readonly RouteSpec[];
  /** Readiness also needs this: a service marks itself ready once it consumes. */
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  port: number;
  host?: string;
  /** Who may ask: liveness is open, readiness and metrics need the `read` role. */
  auth: HttpAuth;
  /** Named checks behind /health/ready, e.g. { kafka: () => consumerIsRunning }. */
  checks?: Record<string, ReadinessCheck>;
  /** Serves /metrics (the Prometheus exporter's handler). */
  metrics?: (request: IncomingMessage, response: ServerResponse) => void;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * GET /health/live: the process answers (open to anyone). GET /health/ready: every check passes and
 * the service said it is ready (503 names the failing checks). GET /metrics: Prometheus text. Both
 * need the `read` role.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  let ready = false;
  const checks = options.checks ?? {};

  const readiness = async (response: ServerResponse) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          return [name, await check()] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    if (!ready) failing.unshift('started');
    json(
      response,
      failing.length === 0 ? 200 : 503,
      failing.length === 0 ? { status: 'ready' } : { status: 'not ready', failing },
    );
  };
  const routes: Route[] = [
    // Liveness stays open: orchestrators restart on it and it says nothing but "the process answers".
    {
      method: 'GET',
      path: '/health/live',
      access: 'public',
      handle: ({ response }) => json(response, 200, { status: 'ok' }),
    },
    { method: 'GET', path: '/health/ready', access: 'read', handle: ({ response }) => readiness(response) },
  ];
  const metricsHandler = options.metrics;
  if (metricsHandler) {
    routes.push({
      method: 'GET',
      path: '/metrics',
      access: 'read',
      handle: ({ request, response }) => metricsHandler(request, response),
    });
  }
  const router = createRouter(routes);
  const paths = routes.map((r) => r.path).join(', ');

  const server: Server = createServer((request, response) => {
    router
      .dispatch(
        request,
        response,
        options.auth,
        (path) => json(response, 404, { error: `no route ${path}; try ${paths}` }),
        (method) => json(response, 405, { error: `method ${method} not allowed; use GET` }),
      )
      .catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { error: `internal error: ${(error as Error).message}` });
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    routes: router.routes,
    setReady(value) {
      ready = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
