/** `npm run score:batch -- --model ... (--input | --query) (--output | --table)` (see USAGE in score-batch-cli.ts). */
import { runScoreBatchCli } from './score-batch-cli.js';

const tty = process.stderr.isTTY === true;
process.exitCode = await runScoreBatchCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(tty ? `\r\x1b[K${line}` : line),
  progress: (line) => process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`),
  env: process.env,
  // A terminal's line is rewritten every second; a log gets a line every ten.
  progressEveryMs: tty ? 1000 : 10_000,
});
