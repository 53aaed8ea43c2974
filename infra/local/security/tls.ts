import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../paths.js';

/** A set's certificate authority and the one server certificate every local server presents. */
export interface LocalTls {
  /** The CA certificate clients trust (PEM): KAFKA_TLS_CA, REDIS_TLS_CA, CLICKHOUSE_TLS_CA point here. */
  ca: string;
  /** Server certificate (PEM) for 127.0.0.1 and localhost, signed by the CA. */
  cert: string;
  /** Its unencrypted PKCS#8 private key (PEM), readable by this user only. */
  key: string;
  /** Key and certificate in one PEM file: Kafka's PEM key store. */
  keyStore: string;
}

export function tlsPaths(dir: string): LocalTls {
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    keyStore: join(dir, 'server-keystore.pem'),
  };
}

const DAYS = '825';

/**
 * Makes the CA and the server certificate with openssl on first use (nothing downloaded); later
 * calls find them. The CA key stays beside them so a new server certificate can be signed; both
 * keys are mode 0600. Delete the directory to start over with a new CA.
 */
export function ensureLocalTls(dir: string, openssl = 'openssl'): LocalTls {
  const paths = tlsPaths(dir);
  if ([paths.ca, paths.cert, paths.key, paths.keyStore].every((p) => existsSync(p))) return paths;
  ensureDir(dir);
  const caKey = join(dir, 'ca.key');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  const run = (args: string[]) => {
    const result = spawnSync(openssl, args, { encoding: 'utf8' });
    if (result.error) throw new Error(`openssl not found (${result.error.message}): install openssl`);
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr || result.stdout}`);
  };
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', caKey]);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-sha256',
    '-days',
    DAYS,
    '-subj',
    '/CN=pipeline local CA',
    '-out',
    paths.ca,
  ]);
  // RSA for the server: Kafka's PEM key store and ClickHouse 18.16's Poco read it without surprises.
  run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', paths.key]);
  run(['req', '-new', '-key', paths.key, '-subj', '/CN=localhost', '-out', csr]);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      // clientAuth too: Kafka's broker presents it on its internal mutual-TLS listeners.
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    ].join('\n'),
  );
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    paths.ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    DAYS,
    '-sha256',
    '-extfile',
    ext,
    '-out',
    paths.cert,
  ]);
  writeFileSync(paths.keyStore, readFileSync(paths.key, 'utf8') + readFileSync(paths.cert, 'utf8'), { mode: 0o600 });
  chmodSync(caKey, 0o600);
  chmodSync(paths.key, 0o600);
  return paths;
}
