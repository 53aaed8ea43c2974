// `npm run docs:api`: writes services/api/openapi.json from openapiDocument() (openapi.test.ts checks it is current).
import { writeFileSync } from 'node:fs';
import { openapiFile } from '../src/http.js';
import { openapiDocument } from '../src/openapi.js';

writeFileSync(openapiFile, `${JSON.stringify(openapiDocument(), null, 2)}\n`);
console.log(`wrote ${openapiFile}`);
