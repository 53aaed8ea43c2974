import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';

/**
 * A text file written through a `.partial` file renamed into place at close, so a run that failed
 * never leaves a file that looks complete. `write` waits for the stream to drain when its buffer is
 * full: the writer's back-pressure reaches the runner.
 */
export interface FileWriter {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export function fileWriter(path: string): FileWriter {
  const partial = `${path}.partial`;
  let stream: WriteStream | undefined;
  let failure: Error | undefined;
  // Opened at the first write, and waited for: a path that cannot be written fails that write.
  const open = async () => {
    if (stream === undefined) {
      stream = createWriteStream(partial);
      stream.on('error', (error) => {
        failure = error;
      });
      await once(stream, 'ready').catch((error: Error) => {
        failure = error;
      });
    }
    if (failure) throw failure;
    return stream;
  };
  const end = async () => {
    if (stream === undefined) return;
    const s = stream;
    await new Promise<void>((resolve, reject) => s.end((error?: Error | null) => (error ? reject(error) : resolve())));
  };
  return {
    async write(text) {
      const s = await open();
      // once() rejects should the stream fail while waiting.
      if (!s.write(text)) await once(s, 'drain');
      if (failure) throw failure;
    },
    async close() {
      await open();
      await end();
      if (failure) throw failure;
      await rename(partial, path);
    },
    async abort() {
      // A stream that failed is destroyed already: ending it would wait for nothing.
      if (failure === undefined) await end().catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}
