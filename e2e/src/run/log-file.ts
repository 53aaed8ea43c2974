import { createWriteStream, mkdirSync } from 'node:fs';
import { localPath } from '@pipeline/infra';
import type { RunNamespace } from './namespace.js';

/** The run's log file under .local/logs/: every service line, colours stripped; `echo` also prints it. */
export function runLog(ns: RunNamespace, echo: boolean) {
  mkdirSync(localPath('logs'), { recursive: true });
  const file = localPath('logs', `${ns.id}.log`);
  const stream = createWriteStream(file);
  return {
    file,
    write: (line: string) => {
      stream.write(`${line.replace(/\u001b\[\d+m/g, '')}\n`);
      if (echo) console.log(line);
    },
    end: () => stream.end(),
  };
}
