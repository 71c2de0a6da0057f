/**
 * Load generators: closed-loop (`sendPushes`: `concurrency` requests in flight over keep-alive
 * connections, one per worker, reused) and open-loop (`sendAtRate`: a request every 1/rate s whatever
 * the answers do), each request timed from the moment its body is handed to the socket to the end of
 * the response. node:http rather than fetch: its per-request cost is lower, and the client runs on the
 * same CPUs as the servers it measures.
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import type { SignedPush } from "./payloads.js";

export interface Sample {
  sha: string;
  deliveryId: string;
  /** performance.now() when the request was sent. */
  sentAt: number;
  /** Send to the end of the response. */
  ms: number;
  status: number;
}

export interface LoadResult {
  samples: Sample[];
  /** First send to last response. */
  wallMs: number;
}

function post(agent: Agent, url: URL, push: SignedPush, deliveryId: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        method: "POST",
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        headers: {
          "content-type": "application/json",
          "content-length": String(push.body.length),
          "user-agent": "GitHub-Hookshot/bench",
          "x-github-event": "push",
          "x-github-delivery": deliveryId,
          "x-github-hook-id": "1",
          "x-hub-signature-256": push.signature,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ sha: push.sha, deliveryId, sentAt, ms: performance.now() - sentAt, status: res.statusCode ?? 0 }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    const sentAt = performance.now();
    req.end(push.body);
  });
}

/** Sends every push once (a fresh delivery id each), `concurrency` at a time; samples in send order. */
export async function sendPushes(opts: { url: string; pushes: SignedPush[]; concurrency: number }): Promise<LoadResult> {
  const url = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const samples: Sample[] = new Array(opts.pushes.length);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < opts.pushes.length) {
      const i = next++;
      samples[i] = await post(agent, url, opts.pushes[i], randomUUID());
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.pushes.length) }, worker));
  } finally {
    agent.destroy();
  }
  return { samples, wallMs: performance.now() - started };
}

/**
 * Sends every push once at a steady `rate` per second (open loop: push i leaves at i/rate s, however
 * long the earlier ones take), over keep-alive connections as many as needed; samples in send order.
 */
export async function sendAtRate(opts: { url: string; pushes: SignedPush[]; rate: number }): Promise<LoadResult> {
  const url = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const started = performance.now();
  try {
    const samples = await Promise.all(
      opts.pushes.map(
        (push, i) =>
          new Promise<Sample>((resolve, reject) => {
            const at = started + (i * 1000) / opts.rate;
            setTimeout(() => post(agent, url, push, randomUUID()).then(resolve, reject), Math.max(0, at - performance.now()));
          }),
      ),
    );
    return { samples, wallMs: performance.now() - started };
  } finally {
    agent.destroy();
  }
}
