/**
 * Paced HTTP GET client for bench:features, run as its own process so its event loop does not
 * share the API server's. argv: port, rate (requests/s), seconds, then a JSON list of paths on stdin.
 * Sends BENCH_HTTP_TOKEN as its bearer token. Prints one JSON line: { achieved, latencies (sorted ms), errors }.
 */
import { Agent, request } from 'node:http';

const [port, rate, seconds] = process.argv.slice(2).map(Number) as [number, number, number];
const paths = JSON.parse(await new Response(process.stdin as unknown as ReadableStream).text()) as string[];
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const headers = { authorization: `Bearer ${process.env.BENCH_HTTP_TOKEN ?? ''}` };

const get = (path: string) =>
  new Promise<number>((resolve) => {
    const started = performance.now();
    request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - started : Number.POSITIVE_INFINITY));
    })
      .on('error', () => resolve(Number.POSITIVE_INFINITY))
      .end();
  });

for (let i = 0; i < 3000; i++) await get(paths[i % paths.length] as string); // warm up
const total = rate * seconds;
const latencies: number[] = [];
const pending: Promise<void>[] = [];
const start = performance.now();
for (let i = 0; i < total; i++) {
  // open loop: each request leaves at its due time, whatever the earlier ones are doing
  const wait = start + (i * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(get(paths[i % paths.length] as string).then((ms) => void latencies.push(ms)));
}
await Promise.all(pending);
const achieved = total / ((performance.now() - start) / 1000);
agent.destroy();
latencies.sort((a, b) => a - b);
const errors = latencies.filter((l) => !Number.isFinite(l)).length;
console.log(JSON.stringify({ achieved, errors, latencies: latencies.filter(Number.isFinite) }));
