// Dashboard benchmark: server time of a PR page with 100 and with 1,000 runs × 20 dirspaces (p50/p99, against the
// repositories page), compressed page weight (HTML + CSS + JS), Chromium's first paint of a run page holding a 1 MB
// plan output, and the peak RSS of the serving part apart from the browser driver's.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { createSigningKeyStore } from "../src/api/auth/signing-key-store.ts";
import { nodeFlags } from "../src/config/node-flags.ts";
import { signSessionToken } from "../src/dashboard/auth/session-token.ts";
import { createDatabase } from "../src/db/client.ts";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { findChromium, launchChromium } from "../test/dashboard/browser.ts";

const RUNS = 100;
/** The same PR page ten times longer: its cost should not grow with the history. */
const LONG_RUNS = 1000;
const DIRSPACES = 20;
const SAMPLES = 400;
const PAINTS = 7;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * One installation, one repository, a PR with RUNS and one with LONG_RUNS runs of DIRSPACES dirspaces each
 * (2 KB of plan per step), and a 1 MB run.
 */
async function seed(
  url: string,
): Promise<{ installationId: number; pullRequestId: number; longPullRequestId: number; bigRun: string }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [installation] = await sql`insert into installations (vcs, external_id, account_login)
      values ('github', '1', 'acme') returning id`;
    const installationId = Number(installation!["id"]);
    const [repo] =
      await sql`insert into repositories (installation_id, vcs, external_id, owner, name, full_name)
      values (${installationId}, 'github', '10', 'acme', 'infra', 'acme/infra') returning id`;
    const plan = `  + resource "terraform_data" "x" {\n${'      + input = "value"\n'.repeat(80)}    }\nPlan: 1 to add, 0 to change, 0 to destroy.`;
    const steps = JSON.stringify([
      {
        name: "init",
        success: true,
        exit_code: 0,
        output: "Terraform has been successfully initialized!",
        duration_ms: 900,
      },
      { name: "plan", success: true, exit_code: 2, output: plan, duration_ms: 2100 },
    ]);
    const seedPull = async (number: number, runs: number): Promise<number> => {
      const [pull] =
        await sql`insert into pull_requests (installation_id, repository_id, number, title, author,
          base_branch, base_sha, head_branch, head_sha)
        values (${installationId}, ${repo!["id"]}, ${number}, 'Big change', 'alice', 'main', ${"b".repeat(40)}, 'feature', ${"a".repeat(40)})
        returning id`;
      const pullRequestId = Number(pull!["id"]);
      await sql`insert into work_manifests (installation_id, repository_id, pull_request_id, vcs, kind, state,
          base_ref, base_sha, head_ref, head_sha, requested_by, created_at, updated_at, completed_at)
        select ${installationId}, ${repo!["id"]}, ${pullRequestId}, 'github', (array['plan','apply'])[1 + g % 2], 'completed',
          'main', md5(g::text), 'feature', md5((g + 1)::text), 'alice',
          now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '40 seconds'
        from generate_series(1, ${runs}) g`;
      // One run per statement, as the evaluator writes them (the latest-result trigger runs per statement).
      const manifests =
        await sql`select id from work_manifests where pull_request_id = ${pullRequestId} order by created_at`;
      for (const manifest of manifests) {
        await sql`insert into work_manifest_dirspaces (work_manifest_id, installation_id, dir, workspace, tags, state,
            success, has_changes, summary, exit_code, steps)
          select ${manifest["id"]}, ${installationId}, 'infra/stack' || d, 'default', array['prod'], 'success', true, true,
            '{"add":1,"change":0,"destroy":0,"import":0}'::jsonb, 2, ${steps}::text::jsonb
          from generate_series(1, ${DIRSPACES}) d`;
      }
      return pullRequestId;
    };
    const pullRequestId = await seedPull(42, RUNS);
    const longPullRequestId = await seedPull(43, LONG_RUNS);
    const line = '      + line of a plan that goes on = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n';
    const big = `Terraform will perform the following actions:\n${line.repeat(Math.ceil(1_048_576 / line.length))}Plan: 1 to add, 0 to change, 0 to destroy.`;
    const [bigRun] =
      await sql`insert into work_manifests (installation_id, repository_id, pull_request_id, vcs, kind, state,
        base_ref, base_sha, head_ref, head_sha, requested_by)
      values (${installationId}, ${repo!["id"]}, ${pullRequestId}, 'github', 'plan', 'completed', 'main', ${"b".repeat(40)}, 'feature', ${"a".repeat(40)}, 'alice')
      returning id`;
    await sql`insert into work_manifest_dirspaces (work_manifest_id, installation_id, dir, workspace, state, success, has_changes, exit_code, steps)
      values (${bigRun!["id"]}, ${installationId}, 'infra/big', 'default', 'success', true, true, 2,
        ${JSON.stringify([{ name: "plan", success: true, exit_code: 2, output: big, duration_ms: 60000 }])}::text::jsonb)`;
    // Planner statistics, as autovacuum would have gathered them on a server with this history.
    await sql`analyze`;
    return { installationId, pullRequestId, longPullRequestId, bigRun: String(bigRun!["id"]) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Bytes on the wire (compressed when the server compressed): node:http does not decompress. */
function wireSize(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (response) => {
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
      });
      response.on("end", () => resolve(size));
      response.on("error", reject);
    }).on("error", reject);
  });
}

/**
 * The real server (`terragate serve`'s runtime, HTTP only) in a process of its own, as in the GitHub
 * benchmark: its peak RSS is the server's alone, apart from this process's seeding and browser driver.
 */
async function startServer(databaseUrl: string, encryptionKey: Buffer) {
  const port = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    TERRAGATE_ENCRYPTION_KEY: encryptionKey.toString("base64"),
    TERRAGATE_URL: `http://127.0.0.1:${port}`,
    PORT: String(port),
    LOG_LEVEL: "silent",
  };
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      new URL("./github-bench-server.ts", import.meta.url).pathname,
      JSON.stringify(env),
      "http-only",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`dashboard benchmark server exited with ${code}`)));
    lines.on("line", (line) => {
      if (line.startsWith("listening ")) resolve();
    });
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    /** Stops the server; resolves to its peak RSS in MiB. */
    stop: async (): Promise<number> => {
      const rss = new Promise<number>((resolve) => {
        lines.on("line", (line) => {
          if (line.startsWith("rss ")) resolve(Number(line.slice(4)));
        });
        child.once("exit", () => resolve(Number.NaN));
      });
      child.kill("SIGTERM");
      return rss;
    },
  };
}

async function measure(databaseUrl: string): Promise<void> {
  const seeded = await seed(databaseUrl);
  const encryptionKey = Buffer.alloc(32, 7);
  // The session is signed here with the server's key store (same database and key), as sign-in would.
  const database = createDatabase(databaseUrl, { max: 1 });
  const keyStore = createSigningKeyStore({ database, encryptionKey });
  const token = await signSessionToken(
    await keyStore.signingKey(),
    {
      sessionId: "00000000-0000-4000-8000-000000000001",
      vcs: "github",
      login: "alice",
      userExternalId: "1",
      memberships: [{ installationId: seeded.installationId, admin: true }],
      serverAdmin: false,
    },
    3600,
  );
  await database.sql.end({ timeout: 5 });
  const server = await startServer(databaseUrl, encryptionKey);
  try {
    await measureAgainst(server.origin, seeded, token);
  } finally {
    console.log(
      `  server process peak RSS (HTTP; every request above, the 1 MB run page and Chromium's page loads): ${await server.stop()} MiB (target < 300 MB)`,
    );
  }
  console.log(
    `  benchmark process (seeding, requests, playwright-core driving Chromium) peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
}

async function measureAgainst(
  origin: string,
  seeded: Awaited<ReturnType<typeof seed>>,
  token: string,
): Promise<void> {
  const cookie = `tg_session=${token}`;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${origin}${path}`, { headers: { cookie, ...headers } });
  const pages = {
    "repositories (baseline)": "/i/github/1",
    [`PR page (${RUNS} runs × ${DIRSPACES} dirspaces)`]: `/i/github/1/pulls/${seeded.pullRequestId}`,
    [`PR page (${LONG_RUNS} runs × ${DIRSPACES} dirspaces)`]: `/i/github/1/pulls/${seeded.longPullRequestId}`,
    "repository page (the same history)": "/i/github/1/repos/acme/infra",
  };
  const medians: number[] = [];
  const p99s: number[] = [];
  for (const [name, path] of Object.entries(pages)) {
    const first = await get(path);
    if (first.status !== 200)
      throw new Error(`${path} answered ${first.status}: ${(await first.text()).slice(0, 300)}`);
    for (let index = 0; index < 30; index++) await (await get(path)).arrayBuffer();
    const times: number[] = [];
    for (let index = 0; index < SAMPLES; index++) {
      const started = performance.now();
      await (await get(path)).arrayBuffer();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    medians.push(percentile(times, 50));
    p99s.push(percentile(times, 99));
    console.log(
      `  ${name.padEnd(44)} p50 ${percentile(times, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(times, 99).toFixed(2).padStart(6)} ms`,
    );
  }
  const ratio = (a: number | undefined, b: number | undefined) => ((a ?? 0) / (b ?? 1)).toFixed(2);
  console.log(
    `  PR page / baseline p50: ${ratio(medians[1], medians[0])}× (target: p99 < 50 ms); repository page / baseline p50: ${ratio(medians[3], medians[0])}×`,
  );
  console.log(
    `  PR page ${LONG_RUNS} runs / ${RUNS} runs: p50 ${ratio(medians[2], medians[1])}×, p99 ${ratio(p99s[2], p99s[1])}× (target: near 1, the latest results do not grow with history)`,
  );

  const gzip = { "accept-encoding": "gzip", cookie };
  const prHtml = await wireSize(`${origin}/i/github/1/pulls/${seeded.pullRequestId}`, gzip);
  const html = await (await get(`/i/github/1/pulls/${seeded.pullRequestId}`)).text();
  const version = /dashboard\.css\?v=([0-9a-f]+)/.exec(html)?.[1];
  const css = await wireSize(`${origin}/assets/dashboard.css?v=${version}`, gzip);
  const js = await wireSize(`${origin}/assets/dashboard.js?v=${version}`, gzip);
  const total = prHtml + css + js;
  console.log(
    `  PR page weight, gzip: HTML ${(prHtml / 1024).toFixed(1)} KB + CSS ${(css / 1024).toFixed(1)} KB + JS ${(js / 1024).toFixed(1)} KB = ${(total / 1024).toFixed(1)} KB (target < 200 KB)`,
  );
  const runPath = `/i/github/1/runs/${seeded.bigRun}`;
  const runHtml = await wireSize(`${origin}${runPath}`, gzip);
  const runTimes: number[] = [];
  for (let index = 0; index < 20; index++) {
    const started = performance.now();
    await (await get(runPath)).arrayBuffer();
    runTimes.push(performance.now() - started);
  }
  runTimes.sort((a, b) => a - b);
  console.log(
    `  run page with a 1 MB plan: server p50 ${percentile(runTimes, 50).toFixed(1)} ms, ${(runHtml / 1024).toFixed(0)} KB gzip`,
  );

  const chromium = findChromium();
  if ("reason" in chromium) {
    console.log(`  first paint: skipped, ${chromium.reason}`);
  } else {
    const browser = await launchChromium(chromium.path);
    try {
      const paints: number[] = [];
      const loads: number[] = [];
      for (let index = 0; index < PAINTS; index++) {
        const context = await browser.newContext();
        await context.addCookies([{ name: "tg_session", value: token, url: origin }]);
        const page = await context.newPage();
        await page.goto(`${origin}${runPath}`, { waitUntil: "load" });
        // The paint entry can land just after the load event: wait for it rather than read a gap.
        await page.waitForFunction(
          "performance.getEntriesByType('paint').some((entry) => entry.name === 'first-contentful-paint')",
          undefined,
          { timeout: 10_000 },
        );
        const timing = await page.evaluate(() => {
          // Runs in the page: the browser's performance timeline (typed loosely: no DOM library here).
          const entries = (type: string) =>
            (
              performance.getEntriesByType as unknown as (
                name: string,
              ) => Array<{ name: string; startTime: number; duration: number }>
            )(type);
          return {
            paint:
              entries("paint").find((entry) => entry.name === "first-contentful-paint")?.startTime ??
              Number.NaN,
            load: entries("navigation")[0]?.duration ?? Number.NaN,
          };
        });
        if (index > 0) {
          paints.push(timing.paint);
          loads.push(timing.load);
        }
        await context.close();
      }
      paints.sort((a, b) => a - b);
      loads.sort((a, b) => a - b);
      console.log(
        `  run page with a 1 MB plan in Chromium: first contentful paint p50 ${percentile(paints, 50).toFixed(0)} ms (max ${paints.at(-1)?.toFixed(0)} ms), load p50 ${percentile(loads, 50).toFixed(0)} ms`,
      );
    } finally {
      await browser.close();
    }
  }
}

export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  let serverUrl = env["DATABASE_URL"] ?? env["TEST_DATABASE_URL"];
  let embeddedDir: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    embeddedDir = await mkdtemp(join(tmpdir(), "terragate-bench-"));
    const embedded = await startEmbeddedPostgres({ directory: join(embeddedDir, "pg"), ephemeral: true });
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `terragate_bench_dashboard_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    await migrate(url.toString());
    await measure(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
    await stopEmbedded?.();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}
