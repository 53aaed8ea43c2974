/** `npm run model -- list | show | promote | rollback` (see USAGE in model-cli.ts). */
import { defaultRegistryDir } from '../config.js';
import { runModelCli } from './model-cli.js';

process.exitCode = await runModelCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  defaultDir: defaultRegistryDir,
});
