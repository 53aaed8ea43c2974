import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureCredentials, PRINCIPALS } from './credentials.js';
import { ensureLocalTls } from './tls.js';

describe('the local CA and credentials', () => {
  it('makes a CA and a certificate for 127.0.0.1 and localhost it signed, once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-tls-'));
    const tls = ensureLocalTls(dir);
    const verify = spawnSync('openssl', ['verify', '-CAfile', tls.ca, tls.cert], { encoding: 'utf8' });
    expect(verify.stdout).toContain(': OK');
    const san = spawnSync('openssl', ['x509', '-in', tls.cert, '-noout', '-ext', 'subjectAltName'], {
      encoding: 'utf8',
    });
    expect(san.stdout).toMatch(/IP Address:127\.0\.0\.1.*DNS:localhost/s);
    expect(statSync(tls.key).mode & 0o777).toBe(0o600);
    const modified = statSync(tls.cert).mtimeMs;
    ensureLocalTls(dir);
    expect(statSync(tls.cert).mtimeMs).toBe(modified);
  });

  it('says when openssl is missing', () => {
    expect(() => ensureLocalTls(mkdtempSync(join(tmpdir(), 'local-tls-')), '/nonexistent/openssl')).toThrow(
      /openssl not found/,
    );
  });

  it('gives every principal a password that stays the same', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'creds-')), 'credentials.json');
    const first = ensureCredentials(file);
    expect(Object.keys(first.redis)).toEqual([...PRINCIPALS.redis]);
    expect(Object.keys(first.kafka)).toEqual(
      expect.arrayContaining(['admin', 'features', 'scorer', 'sink', 'console']),
    );
    expect(new Set(Object.values(first.kafka)).size).toBe(Object.keys(first.kafka).length);
    expect(ensureCredentials(file)).toEqual(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
