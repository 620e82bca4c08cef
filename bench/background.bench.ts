// Background work benchmark: the cost of tracing on webhook ack (p99 with and without an OTLP exporter).
import { createHmac } from "node:crypto";
import { startFakeGithub } from "../test/fakes/github/server.ts";
import { type FakeCollector, startFakeCollector } from "../test/fakes/otlp/collector.ts";
import { pullRequestEvent } from "../test/github/payloads.ts";
import { deliver, describe, openPr, percentile, secret, seed, sleep, startServer } from "./github.bench.ts";

const ACK_RATE = 200;
const ACK_SECONDS = 10;

/** Open loop at ACK_RATE for ACK_SECONDS after a warm-up; returns the ack latencies (ms). */
async function ackSamples(extraEnv: Record<string, string>): Promise<{ samples: number[]; rss: number }> {
  const github = await startFakeGithub();
  const base = seed(github, 1);
  const server = await startServer(github, false, extraEnv);
  try {
    const body = JSON.stringify(pullRequestEvent("opened", openPr(github, base, 1, 1)));
    const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    await Promise.all(
      Array.from({ length: 2 * ACK_RATE }, async (_, index) => {
        await sleep((index * 1000) / ACK_RATE);
        await deliver(server.url, "pull_request", body, signature);
      }),
    );
    const samples: number[] = [];
    const pending: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < ACK_RATE * ACK_SECONDS; i++) {
      const wait = started + (i * 1000) / ACK_RATE - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(deliver(server.url, "pull_request", body, signature).then((ms) => void samples.push(ms)));
    }
    await Promise.all(pending);
    return { samples, rss: await server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    await github.close();
  }
}

async function tracingOverhead(): Promise<void> {
  let collector: FakeCollector | undefined;
  try {
    collector = await startFakeCollector();
    const tracingOn = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url };
    // Off, on, on, off: whatever else the machine does drifts over time; the order evens it out.
    const runs = [
      await ackSamples({}),
      await ackSamples(tracingOn),
      await ackSamples(tracingOn),
      await ackSamples({}),
    ];
    const merge = (a: { samples: number[]; rss: number }, b: { samples: number[]; rss: number }) => ({
      samples: [...a.samples, ...b.samples],
      rss: Math.max(a.rss, b.rss),
    });
    const off = merge(runs[0]!, runs[3]!);
    const on = merge(runs[1]!, runs[2]!);
    const p99 = (samples: number[]) =>
      percentile(
        [...samples].sort((a, b) => a - b),
        99,
      );
    console.log(describe(`webhook ack, tracing off (${ACK_RATE}/s, 2 × ${ACK_SECONDS} s)`, off.samples));
    console.log(
      describe(`webhook ack, tracing on, OTLP exporter (${ACK_RATE}/s, 2 × ${ACK_SECONDS} s)`, on.samples),
    );
    const ratio = p99(on.samples) / p99(off.samples);
    console.log(
      `  p99 ratio on/off: ${ratio.toFixed(3)} (target ≤ 1.10); spans received: ${collector.spans.length}`,
    );
    console.log(`  server peak RSS: off ${off.rss} MiB, on ${on.rss} MiB`);
  } finally {
    await collector?.close();
  }
}

export async function run(): Promise<void> {
  await tracingOverhead();
}
