// Piscina loads this plain-JS entry in each worker thread; it registers tsx (worker threads do not
// inherit vitest's or every runner's TypeScript loader) and hands piscina worker.ts's default export.
import { register } from 'tsx/esm/api';

register();
export default import('./worker.ts').then((m) => m.default);
