// Makes bearer tokens for the services' HTTP endpoints (docs/security.md, "HTTP authentication").
//
//   npm run auth:token -- --name ops --roles read,operate   # one principal: its token and its entry
//   npm run auth:token -- --compose                         # a .env for docker-compose.yml
//
// The token is printed once and kept nowhere; HTTP_AUTH_TOKENS holds only its SHA-256.
import { parseArgs } from 'node:util';
import { newToken, ROLES, type Role } from '@pipeline/shared';

const { values } = parseArgs({
  options: { name: { type: 'string' }, roles: { type: 'string' }, compose: { type: 'boolean', default: false } },
});

function roles(list: string): Role[] {
  const given = list.split(',').map((r) => r.trim());
  for (const role of given) {
    if (!(ROLES as readonly string[]).includes(role)) {
      console.error(`auth:token: unknown role '${role}'; roles are ${ROLES.join(', ')}`);
      process.exit(2);
    }
  }
  return given as Role[];
}

if (values.compose) {
  const probe = newToken('probe', ['read']);
  const operator = newToken('operator', ['read', 'operate']);
  const client = newToken('api-client', ['decide']);
  console.log(`# docker-compose .env: probes and the console's view of the services use HTTP_PROBE_TOKEN.
# Sign in to the console as operator with: ${operator.token}
# Call the decision API (POST /v1/decisions) with: Authorization: Bearer ${client.token}
HTTP_AUTH_TOKENS=${[probe.entry, operator.entry, client.entry].join(',')}
HTTP_PROBE_TOKEN=${probe.token}`);
} else if (values.name && values.roles) {
  const made = newToken(values.name, roles(values.roles));
  console.log(`token (give it to ${values.name}; it is not kept): ${made.token}`);
  console.log(`HTTP_AUTH_TOKENS entry: ${made.entry}`);
} else {
  console.error('usage: npm run auth:token -- --name <principal> --roles <role,...> | --compose');
  process.exit(2);
}
