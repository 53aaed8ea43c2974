import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface HealthServer {
  readonly port: number;
  /** Readiness also needs this: a service marks itself ready once it consumes. */
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  port: number;
  host?: string;
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
 * GET /health/live: the process answers. GET /health/ready: every check passes and the service said
 * it is ready (503 names the failing checks). GET /metrics: Prometheus text.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  let ready = false;
  const checks = options.checks ?? {};

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      json(response, 405, { error: `method ${request.method} not allowed; use GET` });
      return;
    }
    if (path === '/health/live') {
      json(response, 200, { status: 'ok' });
    } else if (path === '/health/ready') {
      void Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            return [name, await check()] as const;
          } catch {
            return [name, false] as const;
          }
        }),
      ).then((results) => {
        const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
        if (!ready) failing.unshift('started');
        json(
          response,
          failing.length === 0 ? 200 : 503,
          failing.length === 0 ? { status: 'ready' } : { status: 'not ready', failing },
        );
      });
    } else if (path === '/metrics' && options.metrics) {
      options.metrics(request, response);
    } else {
      json(response, 404, { error: `no route ${path}; try /health/live, /health/ready or /metrics` });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    setReady(value) {
      ready = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
