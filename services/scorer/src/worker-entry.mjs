// When the scorer runs as TypeScript (tests, tsx), piscina loads this plain-JS entry in each worker
// thread; it registers tsx (worker threads do not inherit vitest's or every runner's TypeScript
// loader) and hands piscina worker.ts's default export. The compiled build loads dist/worker.js
// directly (pool.ts), without tsx.
import { register } from 'tsx/esm/api';

register();
export default import('./worker.ts').then((m) => m.default);
