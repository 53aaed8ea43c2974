import { Agent, request } from 'node:http';
import { createPacer, dueWithin, type Summary, summarize } from '@pipeline/loadtest';
import type { Decision, Transaction } from '@pipeline/topology';
import type { responseBody } from '../src/http.js';

export interface StepOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>` (a principal with the `decide` role). */
  token: string;
  rate: number;
  durationMs: number;
  /** Requests due in the first `warmupMs` are sent but not counted. */
  warmupMs: number;
  deadlineMs: number;
  next(): Transaction;
  /** Each 200's decision, for the check against the decisions topic. */
  onDecision?: (decision: Decision) => void;
}

export interface StepResult {
  rate: number;
  sent: number;
  counted: number;
  /** Counted requests by HTTP status (0: no response). */
  statuses: Record<string, number>;
  /** Counted 200s whose deadline passed (rules-only fallback or the engine's late decision). */
  deadlineExceeded: number;
  /** From each request's intended send time (its slot in the schedule) to the end of its response, ms. */
  latencyMs: Summary;
  /**
   * Of the answers from the pipeline within their deadline, the split at the decision's
   * `decided_at` (the engine's clock, the same host's): intended send → decided (the API's claim and
   * produce, the feature service, the scorer, the engine) and decided → response end (the engine's
   * produce, the API's read, its response).
   */
  untilDecidedMs: Summary;
  decidedToAnsweredMs: Summary;
  /** Requests sent per second over the step. */
  achievedRate: number;
}

/**
 * Open loop at a constant arrival rate: request i is due at start + i / rate whatever the earlier
 * ones are doing, and its latency runs from that intended time, so a slow server's queueing shows in
 * the figures instead of slowing the load down (no coordinated omission). Keep-alive connections,
 * as many as the requests in flight need.
 */
export async function runOpenLoop(options: StepOptions): Promise<StepResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2_048 });
  const target = new URL('/v1/decisions', options.url);
  const total = dueWithin(options.rate, options.durationMs);
  const start = performance.now() + 20;
  const pacer = createPacer(options.rate, start);
  const latencies: number[] = [];
  const untilDecided: number[] = [];
  const decidedToAnswered: number[] = [];
  const statuses: Record<string, number> = {};
  let deadlineExceeded = 0;
  let sent = 0;
  let counted = 0;
  const inFlight = new Set<Promise<void>>();

  const fire = (intended: number, counts: boolean) => {
    const body = JSON.stringify(options.next());
    const done = new Promise<void>((resolve) => {
      const finish = (status: number, text: string) => {
        const end = performance.now();
        const answer = status === 200 ? (JSON.parse(text) as ReturnType<typeof responseBody>) : null;
        if (answer && options.onDecision) options.onDecision(answer.decision);
        if (counts) {
          counted++;
          statuses[status] = (statuses[status] ?? 0) + 1;
          latencies.push(end - intended);
          if (answer?.deadline_exceeded) deadlineExceeded++;
          else if (answer) {
            untilDecided.push(answer.decision.decided_at - (performance.timeOrigin + intended));
            decidedToAnswered.push(performance.timeOrigin + end - answer.decision.decided_at);
          }
        }
        resolve();
      };
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'decision-deadline-ms': String(options.deadlineMs),
            authorization: `Bearer ${options.token}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          res.on('error', () => finish(0, ''));
        },
      );
      req.on('error', () => finish(0, ''));
      req.end(body);
    });
    const tracked = done.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  while (sent < total) {
    const now = performance.now();
    const due = Math.min(pacer.due(now), total);
    while (sent < due) {
      const intended = pacer.timeFor(sent + 1);
      fire(intended, intended - start >= options.warmupMs);
      sent++;
    }
    if (sent < total) {
      const wait = pacer.timeFor(sent + 1) - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    }
  }
  const sentBy = performance.now();
  await Promise.all(inFlight);
  agent.destroy();
  return {
    rate: options.rate,
    sent,
    counted,
    statuses,
    deadlineExceeded,
    latencyMs: summarize(latencies),
    untilDecidedMs: summarize(untilDecided),
    decidedToAnsweredMs: summarize(decidedToAnswered),
    achievedRate: (sent * 1000) / (sentBy - start),
  };
}
