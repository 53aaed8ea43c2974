import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTopics, renderMarkdown } from '../src/index.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'topology.md');
const header = `# Topology

Generated from \`topology/src/\` by \`npm run docs:topology\`; do not edit by hand.
Every value subject is \`<topic>-value\`, registered under the compatibility in the table: FULL_TRANSITIVE
where producers or consumers outside the pipeline upgrade on their own (every version reads and is
read by every other), BACKWARD between the pipeline's own services (consumers upgrade first).

`;
writeFileSync(target, header + renderMarkdown(allTopics));
console.log(`wrote ${target}`);
