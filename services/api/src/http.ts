import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRouter, type HttpAuth, type RouteSpec } from '@pipeline/shared';
import type { Transaction } from '@pipeline/topology';
import { DEADLINE_HEADER, type DeadlineBounds, parseDeadline } from './deadline.js';
import type { RequestOutcome } from './decide-request.js';
import type { Answer } from './idempotency.js';
import { validateTransaction } from './validate.js';

export const DECISIONS_PATH = '/v1/decisions';
export const OPENAPI_PATH = '/openapi.json';
/** The OpenAPI description, served as it is committed. */
export const openapiFile = fileURLToPath(new URL('../openapi.json', import.meta.url));

export interface HttpOptions {
  port: number;
  host?: string;
  /** POST /v1/decisions needs the `decide` role; /openapi.json any known principal. */
  auth: HttpAuth;
  maxBodyBytes: number;
  deadline: DeadlineBounds;
  decide(transaction: Transaction, deadlineMs: number, receivedAt: number): Promise<RequestOutcome>;
  /** Called with each finished request (for metrics). */
  onAnswered?: (status: number, answer: Answer | null, ms: number) => void;
  now?: () => number;
}

export interface DecisionHttpServer {
  readonly port: number;
  /** Every endpoint with the access it needs. */
  readonly routes: readonly RouteSpec[];
  close(): Promise<void>;
}

/** What a successful request's body is: the decision and how it was reached. */
export function responseBody(answer: Answer, replay: boolean) {
  const { request_hash: _hash, ...visible } = answer;
  return { ...visible, idempotent_replay: replay };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** The body as text, or 'too large' once it passes the limit (the rest is not read into memory). */
function readBody(request: IncomingMessage, limit: number): Promise<string | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? 'too large' : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * POST /v1/decisions: a Transaction as JSON → its decision. GET /openapi.json: the description.
 * Every refusal is JSON `{error, field?}`: 400 (the field at fault, or the deadline header), 404, 405
 * (with Allow), 413, 415, 422 (event id reused with another transaction), 503 (pipeline down).
 */
export async function startDecisionHttp(options: HttpOptions): Promise<DecisionHttpServer> {
  const openapi = readFileSync(openapiFile);
  const now = options.now ?? (() => performance.now());

  async function handleDecision(request: IncomingMessage, response: ServerResponse, receivedAt: number) {
    const finish = (status: number, body: unknown, answer: Answer | null = null, headers?: Record<string, string>) => {
      send(response, status, body, headers);
      options.onAnswered?.(status, answer, now() - receivedAt);
    };
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      request.resume();
      return finish(415, { error: `content-type ${JSON.stringify(type ?? '')} not supported; send application/json` });
    }
    const declared = Number(request.headers['content-length']);
    if (declared > options.maxBodyBytes) {
      request.resume();
      return finish(413, { error: `body of ${declared} bytes is over the limit of ${options.maxBodyBytes}` });
    }
    const deadline = parseDeadline(request.headers[DEADLINE_HEADER], options.deadline);
    if (!deadline.ok) {
      request.resume();
      return finish(400, { error: deadline.error, field: 'Decision-Deadline-Ms' });
    }
    const text = await readBody(request, options.maxBodyBytes);
    if (text === 'too large') return finish(413, { error: `body over the limit of ${options.maxBodyBytes} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return finish(400, { error: `body is not JSON: ${(error as Error).message}`, field: '(body)' });
    }
    const validated = validateTransaction(body);
    if (!validated.ok) return finish(400, { error: validated.error, field: validated.field });
    const key = request.headers['idempotency-key'];
    if (key !== undefined && key !== validated.transaction.event_id) {
      return finish(400, { error: 'Idempotency-Key, when sent, must equal event_id', field: 'Idempotency-Key' });
    }
    const outcome = await options.decide(validated.transaction, deadline.ms, receivedAt);
    if (outcome.status !== 200) {
      return finish(
        outcome.status,
        { error: outcome.error },
        null,
        outcome.status === 503 ? { 'retry-after': '1' } : {},
      );
    }
    return finish(200, responseBody(outcome.answer, outcome.replay), outcome.answer);
  }

  const router = createRouter([
    {
      method: 'GET',
      path: OPENAPI_PATH,
      // The description of the API: for its callers and for people reading it alike.
      access: 'authenticated',
      handle: ({ request, response }) => {
        request.resume();
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': openapi.length });
        response.end(request.method === 'HEAD' ? undefined : openapi);
      },
    },
    {
      method: 'POST',
      path: DECISIONS_PATH,
      access: 'decide',
      handle: ({ request, response }) => handleDecision(request, response, arrivals.get(request) ?? now()),
    },
  ]);

  // The latency clock starts when the request arrives, before authentication.
  const arrivals = new WeakMap<IncomingMessage, number>();
  const server: Server = createServer((request, response) => {
    arrivals.set(request, now());
    router
      .dispatch(
        request,
        response,
        options.auth,
        (path) => send(response, 404, { error: `no resource ${path}; POST ${DECISIONS_PATH}, GET ${OPENAPI_PATH}` }),
        (method, allowed) => {
          const verbs = allowed.includes('GET') ? ['GET', 'HEAD'] : allowed;
          send(response, 405, { error: `method ${method} not allowed; use ${verbs[0]}` }, { allow: verbs.join(', ') });
        },
      )
      .catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { error: `internal error: ${(error as Error).message}` });
      });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    routes: router.routes,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
