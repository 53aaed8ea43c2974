import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aliasOf, type ModelRegistry } from '@pipeline/scorer';
import {
  createHttpAuth,
  createRouter,
  errorMessage,
  type Logger,
  type Principal,
  type Route,
  type RouteSpec,
  type TokenEntry,
  type Tokenizer,
} from '@pipeline/shared';
import type { DecisionStore } from '../decisions/store.js';
import { RequestError, UnavailableError } from '../errors.js';
import type { ExperimentsStore } from '../experiments/store.js';
import type { LiveSampler } from '../live/sampler.js';
import { promoteFromPage, readRegistry, rollbackFromPage } from '../models/registry.js';
import { parsePromoteRequest, parseRollbackRequest } from '../models/request.js';
import type { ModelTrafficStore } from '../models/store.js';
import type { MonitoringStore } from '../monitoring/store.js';
import { customerIdProblem, eventIdProblem, parseReviewRequest } from '../review/request.js';
import type { ReviewDeps } from '../review/review.js';
import { submitReview } from '../review/review.js';
import { ruleSetView } from '../rules/rule-file.js';
import { loginPage } from './login-page.js';
import { parseDays, parseHours, parseLimit, parseModelHours, parseName, pathSegment, sseEvent } from './params.js';
import { createSessions } from './sessions.js';

export interface ConsoleServerOptions {
  port: number;
  host: string;
  /** The built browser application (index.html, app.js, app.css). */
  webDir: URL;
  live: LiveSampler;
  decisions: DecisionStore;
  review: Omit<ReviewDeps, 'lookup'>;
  /** The decision engine's rule file. */
  rulesFile: string;
  models: {
    registry: ModelRegistry;
    traffic: ModelTrafficStore;
    /** The feature set the pipeline serves: versions trained on another are marked. */
    served: { name: string; version: number };
  };
  monitoring: MonitoringStore;
  experiments: ExperimentsStore;
  /** The PII key ring's tokenizer: the customer search takes the raw id and looks up its tokens. */
  tokenizer: Tokenizer;
  logger: Logger;
  /** Who may sign in (HTTP_AUTH_TOKENS) and how long a session lasts. */
  auth: { tokens: readonly TokenEntry[]; sessionTtlMs: number; secureCookie: boolean };
}

export interface ConsoleServer {
  readonly port: number;
  /** Every endpoint with the access it needs. */
  readonly routes: readonly RouteSpec[];
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const html = (response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(body);
};

const MAX_BODY = 16 * 1024;

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Answered at once; the rest is read and dropped, so the client gets the answer, not a reset.
      if (size > MAX_BODY) reject(new RequestError(413, `the body is over ${MAX_BODY} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * The console's web server: the browser application, its JSON API and the live stream (server-sent
 * events). Errors reach the page as `{ "error": "<why>" }` with a 4xx for a bad request, 503 when a
 * server behind the page does not answer; never a stack trace.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const { live, decisions, logger } = options;
  const streams = new Set<ServerResponse>();
  // The registry's writes read the alias file, change it and replace it: two at once from the
  // page would lose one, so the console makes them one after the other.
  let writing: Promise<unknown> = Promise.resolve();
  const oneWriteAtATime = <T>(write: () => Promise<T>): Promise<T> => {
    const run = writing.then(write, write);
    writing = run.catch(() => undefined);
    return run;
  };

  const stream = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    const latest = live.latest();
    if (latest) response.write(sseEvent('live', latest));
    const unsubscribe = live.subscribe((snapshot) => response.write(sseEvent('live', snapshot)));
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    streams.add(response);
    request.on('close', () => {
      unsubscribe();
      clearInterval(keepAlive);
      streams.delete(response);
    });
  };

  const sessions = createSessions({ ttlMs: options.auth.sessionTtlMs, secure: options.auth.secureCookie });
  const auth = createHttpAuth({
    tokens: options.auth.tokens,
    logger,
    server: 'console',
    session: (request) => sessions.of(request),
    // A browser asking for a page without a session gets the sign-in form, still with the 401.
    page: (request, outcome) =>
      outcome.status === 401 && request.method === 'GET' && /text\/html/.test(request.headers.accept ?? '')
        ? loginPage()
        : undefined,
  });

  const staticFile = (path: string): Route => ({
    method: 'GET',
    path,
    access: 'read',
    handle: async ({ response }) => {
      const asset = STATIC[path] as { file: string; type: string };
      const body = await readFile(new URL(asset.file, options.webDir)).catch(() => null);
      if (!body) throw new UnavailableError(`${asset.file} is not built: run npm run build`);
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      response.end(body);
    },
  });
  const read = (path: string, handle: Route['handle']): Route => ({ method: 'GET', path, access: 'read', handle });

  const modelWrite = async (
    action: 'promote' | 'rollback',
    request: IncomingMessage,
    response: ServerResponse,
    by: Principal,
  ) => {
    const body = await readBody(request);
    const { registry, served } = options.models;
    if (action === 'promote') {
      const parsed = parsePromoteRequest(request.headers['content-type'], body, by.name);
      const next = await oneWriteAtATime(() => promoteFromPage(registry, parsed));
      logger.info(
        { ref: parsed.ref, alias: parsed.alias, champion: next.champion, by: parsed.by, why: parsed.why },
        'model promoted',
      );
    } else {
      const who = parseRollbackRequest(request.headers['content-type'], body, by.name);
      const next = await oneWriteAtATime(() => rollbackFromPage(registry, who));
      logger.info({ champion: next.champion, by: who.by, why: who.why }, 'champion rolled back');
    }
    json(response, 201, await readRegistry(registry, served));
  };

  const routes: Route[] = [
    // Signing in and out: the form is open to anyone, a token in it is checked like a bearer token.
    { method: 'GET', path: '/login', access: 'public', handle: ({ response }) => html(response, 200, loginPage()) },
    {
      method: 'POST',
      path: '/login',
      access: 'public',
      handle: async ({ request, response }) => {
        const body = await readBody(request);
        const token = new URLSearchParams(body).get('token')?.trim() ?? '';
        const principal = token === '' ? undefined : auth.login(token, request);
        if (!principal) {
          return html(response, 401, loginPage(token === '' ? 'Give a token.' : 'That token is not known.'), {
            'www-authenticate': 'Bearer realm="pipeline", error="invalid_token"',
          });
        }
        logger.info({ principal: principal.name, roles: principal.roles }, 'signed in');
        response.writeHead(303, { location: '/', 'set-cookie': sessions.cookie(sessions.open(principal)) });
        response.end();
      },
    },
    {
      method: 'POST',
      path: '/logout',
      access: 'authenticated',
      handle: ({ request, response }) => {
        sessions.close(request);
        response.writeHead(303, { location: '/login', 'set-cookie': sessions.clearCookie });
        response.end();
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      access: 'authenticated',
      handle: ({ response, principal }) => json(response, 200, { name: principal.name, roles: principal.roles }),
    },
    staticFile('/'),
    staticFile('/app.js'),
    staticFile('/app.css'),
    read('/api/live/stream', ({ request, response }) => stream(request, response)),
    read('/api/live', ({ response }) => {
      const latest = live.latest();
      if (!latest) throw new UnavailableError('the first live sample is still being gathered; try again in a second');
      json(response, 200, latest);
    }),
    read('/api/decisions/mix', async ({ response, url }) => {
      const hours = parseHours(url.searchParams.get('hours'));
      json(response, 200, { hours, mix: await decisions.mix(hours) });
    }),
    read('/api/decisions/event/:id', async ({ response, params }) => {
      const id = pathSegment(params.id as string).trim();
      if (id === '') throw new RequestError(400, 'give an event id');
      const problem = eventIdProblem(id);
      if (problem) throw new RequestError(400, problem);
      json(response, 200, await decisions.event(id));
    }),
    read('/api/decisions/customer/:id', async ({ response, params, url }) => {
      const id = pathSegment(params.id as string).trim();
      if (id === '') throw new RequestError(400, 'give a customer id');
      const problem = customerIdProblem(id);
      if (problem) throw new RequestError(400, problem);
      const tokens = options.tokenizer.tokensFor('customer', id);
      const limit = parseLimit(url.searchParams.get('limit'));
      json(response, 200, { tokens, decisions: await decisions.customer(tokens, limit) });
    }),
    read('/api/rules', async ({ response, url }) => {
      const hours = parseHours(url.searchParams.get('hours'));
      const [file, hits] = await Promise.all([
        readFile(options.rulesFile, 'utf8')
          .then(ruleSetView)
          .then(
            (ruleSet) => ({ ruleSet, error: null }),
            (error: unknown) => ({ ruleSet: null, error: `${options.rulesFile}: ${errorMessage(error)}` }),
          ),
        decisions.ruleHits(hours).then(
          (value) => ({ value, error: null }),
          (error: unknown) => ({ value: null, error: errorMessage(error) }),
        ),
      ]);
      json(response, 200, {
        file: options.rulesFile,
        ruleSet: file.ruleSet,
        fileError: file.error,
        hours,
        hits: hits.value,
        hitsError: hits.error,
      });
    }),
    read('/api/models', async ({ response }) =>
      json(response, 200, await readRegistry(options.models.registry, options.models.served)),
    ),
    read('/api/models/live', async ({ response, url }) => {
      const hours = parseModelHours(url.searchParams.get('hours'));
      // Roles from the registry when it reads; the comparison stands without them.
      const aliases = await options.models.registry.aliases().catch(() => null);
      const live = await options.models.traffic.live(hours, (ref) => (aliases ? aliasOf(aliases, ref) : null));
      json(response, 200, { hours, live });
    }),
    read('/api/monitoring', async ({ response, url }) => {
      const query = {
        days: parseDays(url.searchParams.get('days')),
        series: parseName('series', url.searchParams.get('series')),
        feature: parseName('feature', url.searchParams.get('feature')),
      };
      json(response, 200, { ...query, monitoring: await options.monitoring.read(query) });
    }),
    read('/api/experiments', async ({ response, url }) => {
      const experiment = parseName('experiment', url.searchParams.get('experiment'));
      json(response, 200, { experiment, experiments: await options.experiments.read(experiment) });
    }),
    read('/api/review', async ({ response, url }) =>
      json(response, 200, await decisions.queue(parseLimit(url.searchParams.get('limit')))),
    ),
    // Writes: the operator role, and the actor recorded is the signed-in principal.
    {
      method: 'POST',
      path: '/api/review/:eventId',
      access: 'operate',
      handle: async ({ request, response, params, principal }) => {
        const body = await readBody(request);
        const parsed = parseReviewRequest(
          pathSegment(params.eventId as string),
          request.headers['content-type'],
          body,
          principal.name,
        );
        const result = await submitReview(parsed, { ...options.review, lookup: (id) => decisions.reviewLookup(id) });
        logger.info({ eventId: parsed.eventId, reviewer: parsed.reviewer, isFraud: parsed.isFraud }, 'review recorded');
        json(response, 201, result);
      },
    },
    {
      method: 'POST',
      path: '/api/models/promote',
      access: 'operate',
      handle: ({ request, response, principal }) => modelWrite('promote', request, response, principal),
    },
    {
      method: 'POST',
      path: '/api/models/rollback',
      access: 'operate',
      handle: ({ request, response, principal }) => modelWrite('rollback', request, response, principal),
    },
  ];
  const router = createRouter(routes);
  const route = (request: IncomingMessage, response: ServerResponse) =>
    router.dispatch(
      request,
      response,
      auth,
      (path) => {
        throw new RequestError(404, `no page or API at ${path}`);
      },
      (method, allowed) => {
        throw new RequestError(405, `method ${method} not allowed here; use ${allowed.join(' or ')}`);
      },
    );

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.end();
        return;
      }
      if (error instanceof RequestError) json(response, error.status, { error: error.message });
      else if (error instanceof UnavailableError) json(response, 503, { error: error.message });
      else {
        logger.error({ err: error, url: request.url }, 'console request failed');
        json(response, 500, { error: `internal error: ${errorMessage(error).slice(0, 200)}` });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    routes: router.routes,
    close: () =>
      new Promise((resolve) => {
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
