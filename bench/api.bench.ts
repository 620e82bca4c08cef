// Tooling API benchmark: 1,000,000 work manifests over 100 installations; list and KV latency at 50 concurrent clients.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import postgres from "postgres";
import { nodeFlags } from "../src/config/node-flags.ts";
import { createDatabase } from "../src/db/client.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { createApiKey } from "../src/db/queries/api-keys.ts";
import { encodeCursor } from "../src/db/queries/cursor.ts";

const INSTALLATIONS = 100;
const MANIFESTS = 1_000_000;
const CLIENTS = 50;
/** Total request rate of the paced phases: about half of what one server process saturates at here. */
const PACED_RATE = 400;
const KV_KEYS_PER_INSTALLATION = 1000;
/** How deep the "deep cursor" page starts, in rows from the newest. */
const DEEP_OFFSET = 9000;

interface Reply {
  status: number;
  body: string;
}

interface Phase {
  name: string;
  request: (client: number, base: string, token: string) => Promise<Reply>;
}

/** A keep-alive HTTP client lighter than fetch, so the load generator takes less of the CPU it shares. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed just as it was reused: send again on a fresh one.
      if (req.reusedSocket && error.code === "ECONNRESET") send(url, init).then(resolve, reject);
      else reject(error);
    });
    req.end(init.body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function seed(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`insert into installations (vcs, external_id, account_login)
      select 'github', g::text, 'org' || g from generate_series(1, ${INSTALLATIONS}) g`;
    await sql`insert into repositories (installation_id, vcs, external_id, owner, name, full_name)
      select i.id, 'github', i.id || '-' || r, i.account_login, 'repo' || r, i.account_login || '/repo' || r
      from installations i, generate_series(1, 10) r`;
    await sql`insert into pull_requests (installation_id, repository_id, number, author, base_branch, base_sha, head_branch, head_sha, state)
      select r.installation_id, r.id, n, 'dev', 'main', md5(r.id::text), 'f' || n, md5(n::text), 'closed'
      from repositories r, generate_series(1, 20) n`;
    // One row per second going back in time; installation and repository cycle so each gets 10,000.
    await sql`insert into work_manifests (installation_id, repository_id, pull_request_id, vcs, kind, state,
        base_ref, base_sha, head_ref, head_sha, requested_by, created_at, updated_at)
      select r.installation_id, r.id, null, 'github',
        (array['plan','apply','autoapprove'])[1 + g % 3], 'completed',
        'main', md5(g::text), 'feature', md5((g + 1)::text), 'dev',
        now() - g * interval '1 second', now() - g * interval '1 second'
      from generate_series(1, ${MANIFESTS}) g
      join repositories r on r.id = 1 + (g % (${INSTALLATIONS} * 10))`;
    await sql`insert into kv_entries (installation_id, key, value)
      select i.id, 'bench/' || lpad(k::text, 5, '0'), jsonb_build_object('n', k, 'payload', repeat('x', 200))
      from installations i, generate_series(1, ${KV_KEYS_PER_INSTALLATION}) k`;
    // Steady state, as autovacuum would leave it: hint bits and the visibility map set, and the bulk
    // load's dirty pages written out, so the measured phases do not pay for the seeding.
    await sql`vacuum (analyze)`;
    await sql`checkpoint`.catch((error: unknown) => {
      console.log(`api: no checkpoint after seeding (${error instanceof Error ? error.message : error})`);
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function deepCursors(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ installation_id: string; t: string; id: string }[]>`
      select i.id as installation_id, w.t, w.id from installations i
      cross join lateral (
        select created_at::text as t, id from work_manifests
        where installation_id = i.id order by created_at desc, id desc offset ${DEEP_OFFSET} limit 1
      ) w order by i.id`;
    return rows.map((row) => encodeCursor([row.t, row.id]));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function tokens(base: string, keys: string[]): Promise<string[]> {
  return Promise.all(
    keys.map(async (key) => {
      const response = await fetch(`${base}/api/v1/access-token/refresh`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
      });
      if (!response.ok) throw new Error(`refresh failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { access_token: string }).access_token;
    }),
  );
}

function printPhase(
  label: string,
  latencies: number[],
  statuses: Map<number, number>,
  seconds: number,
): void {
  latencies.sort((a, b) => a - b);
  const statusText = [...statuses].map(([status, count]) => `${status}×${count}`).join(" ");
  console.log(
    `  ${label.padEnd(27)} ${String(latencies.length).padStart(7)} req  ${(latencies.length / seconds).toFixed(0).padStart(6)} req/s  ` +
      `p50 ${percentile(latencies, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(latencies, 99).toFixed(2).padStart(6)} ms  [${statusText}]`,
  );
}

async function runPhase(phase: Phase, base: string, tokenList: string[], seconds: number, clients = CLIENTS) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const reply = await phase.request(client, base, tokenList[client]!);
        latencies.push(performance.now() - started);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }
    }),
  );
  printPhase(`${phase.name} ×${clients}`, latencies, statuses, seconds);
}

/**
 * 50 clients sending at a fixed total rate (open loop): latency is counted from each request's
 * scheduled time, so a slow reply also delays — and is charged to — the requests queued behind it.
 */
async function runPacedPhase(
  phase: Phase,
  base: string,
  tokenList: string[],
  seconds: number,
  rate: number,
  print = true,
) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const interval = (CLIENTS / rate) * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (
        let scheduled = start + (client * interval) / CLIENTS;
        scheduled < start + seconds * 1000;
        scheduled += interval
      ) {
        const wait = scheduled - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const reply = await phase.request(client, base, tokenList[client]!);
        latencies.push(performance.now() - scheduled);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }
    }),
  );
  if (print) printPhase(`${phase.name} ×${CLIENTS} @${rate}/s`, latencies, statuses, seconds);
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Starts the API in a child process on a seeded database and measures each phase with 50 clients. */
export async function measure(databaseUrl: string, seconds: number): Promise<void> {
  const encryptionKey = randomBytes(32).toString("base64");
  let server: ReturnType<typeof execa> | undefined;
  try {
    const cursors = await deepCursors(databaseUrl);
    const database = createDatabase(databaseUrl, { max: 2 });
    const keys: string[] = [];
    for (let client = 0; client < CLIENTS; client++) {
      const created = await createApiKey(database.db, {
        installationId: 1 + ((client * 2) % INSTALLATIONS),
        name: `bench-${client}`,
        capabilities: ["installation_read", "kv_read", "kv_write"],
        createdBy: "bench",
      });
      keys.push(created.key);
    }
    await database.close();

    server = execa(
      "node",
      [...nodeFlags, new URL("./api-bench-server.ts", import.meta.url).pathname, databaseUrl, encryptionKey],
      {
        reject: false,
        stderr: "inherit",
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      server!.stdout!.on("data", (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      void server!.then((result) => reject(new Error(`bench server exited: ${result.exitCode}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const installationOf = (client: number) => String(1 + ((client * 2) % INSTALLATIONS));
    const randomKey = () =>
      `bench%2F${String(1 + Math.floor(Math.random() * KV_KEYS_PER_INSTALLATION)).padStart(5, "0")}`;
    let casConflicts = 0;
    const phases: Phase[] = [
      {
        name: "list latest page",
        request: (client, b, token) =>
          send(`${b}/api/v1/github/installations/${installationOf(client)}/work-manifests`, {
            headers: { authorization: `Bearer ${token}` },
          }),
      },
      {
        name: `list deep page (${DEEP_OFFSET})`,
        request: (client, b, token) =>
          send(
            `${b}/api/v1/github/installations/${installationOf(client)}/work-manifests?next_page=${cursors[(client * 2) % INSTALLATIONS]}`,
            { headers: { authorization: `Bearer ${token}` } },
          ),
      },
      {
        name: "kv get",
        request: (client, b, token) =>
          send(`${b}/api/v1/github/kv/${installationOf(client)}/key/${randomKey()}`, {
            headers: { authorization: `Bearer ${token}` },
          }),
      },
      {
        name: "kv put",
        request: (client, b, token) =>
          send(`${b}/api/v1/github/kv/${installationOf(client)}/key/${randomKey()}`, {
            method: "PUT",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ value: { n: client, at: Date.now() } }),
          }),
      },
      {
        name: "kv cas (read+swap)",
        request: async (client, b, token) => {
          const key = randomKey();
          const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
          const current = JSON.parse(
            (await send(`${b}/api/v1/github/kv/${installationOf(client)}/key/${key}`, { headers })).body,
          ) as { version: number };
          const response = await send(`${b}/api/v1/github/kv/${installationOf(client)}/cas/key/${key}`, {
            method: "PUT",
            headers,
            body: JSON.stringify({ value: { n: client }, version: current.version }),
          });
          if (response.status === 409) casConflicts++;
          return response;
        },
      },
    ];
    // The same clients at a steady total rate below saturation: the latency a tooling fleet sees.
    console.log(`api: ${CLIENTS} clients at a steady ${PACED_RATE} req/s in total, ${seconds} s per phase`);
    for (const phase of phases.slice(0, 3)) {
      const tokenList = await tokens(base, keys);
      // Warm-up, not counted: opens the connection pool, fills caches and lets the JIT settle.
      await runPacedPhase(phase, base, tokenList, 3, PACED_RATE, false);
      await runPacedPhase(phase, base, tokenList, seconds, PACED_RATE);
    }
    console.log(`api: ${CLIENTS} concurrent clients over HTTP, as fast as they can, ${seconds} s per phase`);
    for (const phase of phases) {
      // Access tokens live 60 s: a fresh set per phase.
      await runPhase(phase, base, await tokens(base, keys), seconds);
    }
    // The same requests one at a time: the service time without queueing behind other clients.
    const unloaded = Math.min(seconds, 5);
    for (const phase of [phases[0]!, phases[2]!])
      await runPhase(phase, base, await tokens(base, keys), unloaded, 1);
    console.log(`  kv cas conflicts: ${casConflicts}`);
    console.log(`api: server peak RSS ${(await peakRssMb(server.pid!)).toFixed(0)} MB`);
  } finally {
    agent.destroy();
    server?.kill("SIGTERM");
    await server?.catch(() => undefined);
  }
}

export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  const seconds = Number(env["TERRAGATE_BENCH_SECONDS"] ?? 20);
  let serverUrl = env["DATABASE_URL"] ?? env["TEST_DATABASE_URL"];
  let embeddedDir: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    embeddedDir = await mkdtemp(join(tmpdir(), "terragate-bench-"));
    const embedded = await startEmbeddedPostgres({ directory: join(embeddedDir, "pg"), ephemeral: true });
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `terragate_bench_api_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  try {
    await migrate(databaseUrl);
    const started = performance.now();
    await seed(databaseUrl);
    console.log(
      `api: seeded ${MANIFESTS.toLocaleString("en")} work manifests over ${INSTALLATIONS} installations in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await measure(databaseUrl, seconds);
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
    await stopEmbedded?.();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}

if (import.meta.main) await run();
