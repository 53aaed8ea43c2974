import crypto from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../errors.js';
import {
  authenticateToken,
  bearerToken,
  createHttpAuth,
  httpAuthTokens,
  newToken,
  parseTokenEntries,
  permits,
  sha256,
  tokenEntry,
} from './auth.js';

const HEX = 'a'.repeat(64);

describe('HTTP_AUTH_TOKENS', () => {
  it('parses principals, their roles and token digests', () => {
    const entries = parseTokenEntries(` ops:read+operate:${HEX} , api-client:decide:${'b'.repeat(64)}`);
    expect(entries.map((e) => ({ name: e.name, roles: e.roles, hex: e.sha256.toString('hex') }))).toEqual([
      { name: 'ops', roles: ['read', 'operate'], hex: HEX },
      { name: 'api-client', roles: ['decide'], hex: 'b'.repeat(64) },
    ]);
  });

  it.each([
    ['', 'lists no principal'],
    ['ops:read', 'entry 1 is not name:role[+role]:sha256hex'],
    [`o ps:read:${HEX}`, 'entry 1: name must be'],
    [`ops:admin:${HEX}`, "unknown role 'admin'"],
    [`ops:read+read:${HEX}`, 'repeats a role'],
    ['ops:read:abc', 'the hash must be 64 lowercase hex digits'],
    [`ops:read:${'A'.repeat(64)}`, 'the hash must be 64 lowercase hex digits'],
    [`ops:read:${HEX},ops:operate:${'b'.repeat(64)}`, "principal 'ops' is listed twice"],
    [`ops:read:${HEX},viewer:read:${HEX}`, "entry 2 (viewer) has another entry's token"],
  ])('refuses %j: %s', (value, reason) => {
    expect(() => parseTokenEntries(value)).toThrow(reason);
  });

  it('stops a service at start naming the variable, without echoing a bad entry beyond its name', () => {
    const shape = { HTTP_AUTH_TOKENS: httpAuthTokens() };
    expect(() => parseEnv(shape, {})).toThrow(ConfigError);
    expect(() => parseEnv(shape, {})).toThrow('HTTP_AUTH_TOKENS is not set');
    try {
      parseEnv(shape, { HTTP_AUTH_TOKENS: `ops:root:${HEX}` });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).variables).toEqual(['HTTP_AUTH_TOKENS']);
      expect((error as Error).message).toContain("HTTP_AUTH_TOKENS entry 1 (ops): unknown role 'root'");
    }
  });

  it('holds digests only: an entry made for a token admits that token', () => {
    const made = newToken('viewer', ['read']);
    expect(made.entry).not.toContain(made.token);
    expect(made.entry).toBe(`viewer:read:${sha256(made.token).toString('hex')}`);
    expect(tokenEntry('viewer', ['read'], made.token)).toBe(made.entry);
    const entries = parseTokenEntries(made.entry);
    expect(authenticateToken(entries, made.token)).toEqual({ name: 'viewer', roles: ['read'] });
  });
});

describe('authenticateToken', () => {
  const a = newToken('a', ['read']);
  const b = newToken('b', ['operate']);
  const entries = parseTokenEntries(`${a.entry},${b.entry}`);

  it('finds the principal of a known token and nobody for another', () => {
    expect(authenticateToken(entries, b.token)?.name).toBe('b');
    expect(authenticateToken(entries, `${b.token}x`)).toBeUndefined();
    expect(authenticateToken(entries, '')).toBeUndefined();
  });

  it('compares against every entry in constant time, wherever the match is', () => {
    const spy = vi.spyOn(crypto, 'timingSafeEqual');
    try {
      for (const token of [a.token, b.token, 'nobody']) {
        spy.mockClear();
        authenticateToken(entries, token);
        expect(spy).toHaveBeenCalledTimes(entries.length);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('bearerToken', () => {
  it.each([
    [undefined, { kind: 'none' }],
    ['', { kind: 'none' }],
    ['Bearer abc-DEF_123.~+/=', { kind: 'token', token: 'abc-DEF_123.~+/=' }],
    ['bearer abc', { kind: 'token', token: 'abc' }],
  ])('reads %j', (header, expected) => {
    expect(bearerToken(header)).toEqual(expected);
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'not "Bearer <token>"'],
    ['Bearer', 'not "Bearer <token>"'],
    ['Bearer a b', 'not "Bearer <token>"'],
    ['Token abc', 'not "Bearer <token>"'],
    ['Bearer ab"c', 'characters a token cannot have'],
    ['Bearer =abc', 'characters a token cannot have'],
  ])('refuses %j', (header, reason) => {
    const result = bearerToken(header);
    expect(result.kind).toBe('malformed');
    expect(result.kind === 'malformed' && result.reason).toContain(reason);
  });

  it('refuses two Authorization headers', () => {
    expect(bearerToken(['Bearer a', 'Bearer b'])).toEqual({
      kind: 'malformed',
      reason: 'more than one Authorization header',
    });
  });
});

describe('permits', () => {
  const viewer = { name: 'v', roles: ['read'] as const };
  it('needs the exact role: roles do not imply one another', () => {
    expect(permits(viewer, 'read')).toBe(true);
    expect(permits(viewer, 'operate')).toBe(false);
    expect(permits(viewer, 'decide')).toBe(false);
    expect(permits({ name: 'o', roles: ['operate'] }, 'read')).toBe(false);
  });
  it('lets anyone known reach `authenticated` and anyone at all reach `public`', () => {
    expect(permits(viewer, 'authenticated')).toBe(true);
    expect(permits(undefined, 'authenticated')).toBe(false);
    expect(permits(undefined, 'public')).toBe(true);
  });
});

describe('createHttpAuth over HTTP', () => {
  const viewer = newToken('viewer', ['read']);
  const lines: string[] = [];
  const logger = pino({ base: { service: 'auth-test' } }, { write: (line: string) => lines.push(line) });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  let server: Server;
  let url: string;
  let sessionPrincipal: { name: string; roles: ['operate'] } | undefined;

  beforeAll(async () => {
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const auth = createHttpAuth({
      tokens: parseTokenEntries(viewer.entry),
      logger,
      server: 'unit',
      session: (_request: IncomingMessage) => sessionPrincipal,
    });
    server = createServer((request, response) => {
      const needs = (request.url ?? '/').slice(1) as 'read' | 'operate';
      const principal = auth.admit(request, response, needs);
      if (principal) response.end(`hello ${principal.name}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    metrics.disable();
  });

  const ask = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { headers });
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      body: await response.text(),
    };
  };

  it('admits a principal holding the role', async () => {
    expect(await ask('/read', { authorization: `Bearer ${viewer.token}` })).toEqual({
      status: 200,
      challenge: null,
      body: 'hello viewer',
    });
  });

  it('answers 401 with a challenge for no, malformed or unknown credentials, 403 for a missing role', async () => {
    expect(await ask('/read')).toMatchObject({ status: 401, challenge: 'Bearer realm="pipeline"' });
    expect(await ask('/read', { authorization: 'Basic eDp5' })).toMatchObject({
      status: 401,
      challenge: 'Bearer realm="pipeline", error="invalid_request"',
    });
    expect(await ask('/read', { authorization: 'Bearer not-a-known-token' })).toMatchObject({
      status: 401,
      challenge: 'Bearer realm="pipeline", error="invalid_token"',
    });
    const forbidden = await ask('/operate', { authorization: `Bearer ${viewer.token}` });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toEqual({ error: "viewer lacks the role 'operate'" });
  });

  it('takes a session when no header came, and a header over a session', async () => {
    sessionPrincipal = { name: 'op', roles: ['operate'] };
    try {
      expect(await ask('/operate')).toMatchObject({ status: 200, body: 'hello op' });
      expect((await ask('/operate', { authorization: `Bearer ${viewer.token}` })).status).toBe(403);
    } finally {
      sessionPrincipal = undefined;
    }
  });

  it('logs each failure without the token and counts it by reason', async () => {
    lines.length = 0;
    await ask('/read', { authorization: 'Bearer secret-token-value' });
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'http authentication failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ auth: { server: 'unit', failure: 'unknown', access: 'read' }, path: '/read' });
    expect(lines.join('')).not.toContain('secret-token-value');

    await reader.forceFlush();
    const points = exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'http_auth_failures')?.dataPoints;
    const count = (failure: string) => points?.find((p) => p.attributes.failure === failure)?.value;
    expect(count('missing')).toBeGreaterThanOrEqual(1);
    expect(count('malformed')).toBeGreaterThanOrEqual(1);
    expect(count('unknown')).toBeGreaterThanOrEqual(2);
    expect(count('forbidden')).toBeGreaterThanOrEqual(1);
  });
});
