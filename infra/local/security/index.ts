import { join } from 'node:path';
import { type ServerSet, setHome } from '../server-set.js';
import { type Credentials, ensureCredentials } from './credentials.js';
import { ensureLocalTls, type LocalTls } from './tls.js';

export { type Credentials, ensureCredentials, PRINCIPALS } from './credentials.js';
export { type LocalTls, tlsPaths } from './tls.js';

export interface SetSecurity {
  tls: LocalTls;
  credentials: Credentials;
}

/** Where a set keeps its CA, certificates and passwords: .local/security (.local/sets/<set>/security). */
export const securityDir = (set: ServerSet) => setHome(set, 'security');

/** The set's CA, server certificate and passwords, made on first use. */
export function setSecurity(set: ServerSet): SetSecurity {
  return {
    tls: ensureLocalTls(join(securityDir(set), 'tls')),
    credentials: ensureCredentials(join(securityDir(set), 'credentials.json')),
  };
}
