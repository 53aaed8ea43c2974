import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startServiceProcess } from './service-process.js';

describe('freePort', () => {
  it('gives a port below the range outgoing connections take, free to listen on', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const port = await freePort();
    expect(port).toBeGreaterThan(1024);
    expect(port).toBeLessThan(low);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '0.0.0.0', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('startServiceProcess', () => {
  // A service whose first start finds its port taken (as Node reports it), and whose second serves.
  const service = `
import { existsSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
const dir = process.env.FAKE_DIR;
appendFileSync(dir + '/ports', process.env.HTTP_PORT + '\\n');
if (!existsSync(dir + '/started')) {
  writeFileSync(dir + '/started', '');
  console.error('fake failed: listen EADDRINUSE: address already in use 0.0.0.0:' + process.env.HTTP_PORT);
  process.exit(1);
}
const server = createServer((req, res) => { res.statusCode = req.url === '/health/ready' ? 200 : 404; res.end(); });
server.listen(Number(process.env.HTTP_PORT), '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

  it('starts again on another port when its port was taken before it listened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'service-process-'));
    const entry = join(dir, 'fake.mjs');
    writeFileSync(entry, service);
    const lines: string[] = [];
    const started = await startServiceProcess({
      name: 'fake',
      entry,
      env: { FAKE_DIR: dir },
      write: (line) => lines.push(line),
      colour: null,
      prefixWidth: 4,
      readyTimeoutMs: 10_000,
    });
    const ports = readFileSync(join(dir, 'ports'), 'utf8').trim().split('\n').map(Number);
    expect(ports).toHaveLength(2);
    expect(started.port).toBe(ports[1]);
    expect(lines.some((line) => line.includes('EADDRINUSE'))).toBe(true);
    expect((await started.stop(5_000)).clean).toBe(true);
  });

  it('gives up on other start failures at once, with the service last lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'service-process-'));
    const entry = join(dir, 'broken.mjs');
    writeFileSync(
      entry,
      `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.FAKE_DIR + '/ports', 'x\\n');
console.error('broken failed: KAFKA_BROKERS is not set');
process.exit(1);`,
    );
    await expect(
      startServiceProcess({
        name: 'broken',
        entry,
        env: { FAKE_DIR: dir },
        write: () => {},
        colour: null,
        prefixWidth: 6,
        readyTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/broken exited during start .*\n.*KAFKA_BROKERS is not set/);
    expect(readFileSync(join(dir, 'ports'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
