// Results are never lost: retried through 5xx and dropped connections, stored once, long step names
// shortened, the job summary as the record when the server stays away, and no apply the server gave up on.
import { access, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { eq } from "drizzle-orm";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workManifestDirspaces, workManifests } from "../../src/db/schema/index.ts";
import { failDeadManifest } from "../../src/jobs/manifest-lifecycle.ts";
import { runManifest } from "../../src/runner/run-manifest.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import {
  createTerraformRepo,
  git,
  insertManifest,
  runnerEnv,
  startTestServer,
  type TerraformRepo,
  type TestServer,
  terraformRoot,
} from "./runner-fixtures.ts";

const projectRoot = path.resolve(import.meta.dirname, "../..");
let database: TestDatabase;
let server: TestServer;
let repo: TerraformRepo;

/** What the proxy does with one request: pass it on, pass it on and answer 500 anyway, or drop the connection. */
type Behaviour = "forward" | "forward-then-500" | "drop";
interface Exchange {
  method: string;
  path: string;
  status: number;
  serverBody: string;
}

/** A proxy in front of the server whose behaviour per request the test scripts. */
let proxy: Server;
let proxyUrl: string;
let script: (method: string, path: string) => Behaviour = () => "forward";
let beforeForward: (method: string, path: string) => Promise<void> = async () => {};
const exchanges: Exchange[] = [];

async function relay(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const method = request.method ?? "GET";
  const url = request.url ?? "/";
  const behaviour = script(method, url);
  if (behaviour === "drop") {
    request.socket.destroy();
    return;
  }
  await beforeForward(method, url);
  const answer = await fetch(`${server.url}${url}`, {
    method,
    headers: Object.fromEntries(
      Object.entries(request.headers).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === "string" && !["host", "content-length", "connection"].includes(entry[0]),
      ),
    ),
    body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
  });
  const body = Buffer.from(await answer.arrayBuffer());
  exchanges.push({ method, path: url, status: answer.status, serverBody: body.toString("utf8") });
  if (behaviour === "forward-then-500") {
    response.writeHead(500, { "content-type": "application/json" }).end('{"error":"proxy lost the answer"}');
    return;
  }
  response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" }).end(body);
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestServer(database.client);
  repo = await createTerraformRepo({
    "infra/a": terraformRoot("a", 2),
    "infra/b": terraformRoot("b", 1),
  });
  proxy = createServer((request, response) => {
    relay(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.close();
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  await git(repo.root, ["checkout", "-q", "main"]);
  exchanges.length = 0;
  script = () => "forward";
  beforeForward = async () => {};
});

const quickRetry = { budgetMs: 3_000, firstDelayMs: 20, maxDelayMs: 200 };

function run(manifestId: string, workToken: string) {
  const lines: string[] = [];
  return {
    lines,
    outcome: runManifest({
      apiUrl: proxyUrl,
      vcs: "github",
      manifestId,
      credentials: [{ kind: "work-token", token: async () => workToken }],
      runId: "9001",
      repoRoot: repo.root,
      env: runnerEnv(repo.home),
      retry: quickRetry,
      log: { info: (line) => lines.push(line), dirspace: () => {} },
    }),
  };
}

async function dirspaceRows(id: string) {
  return database.client.db
    .select()
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, id))
    .orderBy(workManifestDirspaces.dir);
}

function isResults(method: string, url: string) {
  return method === "PUT" && /\/work-manifests\/[0-9a-f-]+$/.test(url);
}

describe("results delivery", () => {
  it("results answered 500 twice (after the server stored them), then 200: stored once, the run succeeds", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    let puts = 0;
    script = (method, url) => (isResults(method, url) && ++puts <= 2 ? "forward-then-500" : "forward");
    const { outcome, lines } = run(inserted.manifestId, inserted.workToken);
    const result = await outcome;
    expect(result.type === "ran" && result.undelivered).toBeUndefined();
    expect(result.type === "ran" && result.failed).toEqual([]);
    const answers = exchanges.filter((e) => isResults(e.method, e.path)).map((e) => JSON.parse(e.serverBody));
    expect(answers).toEqual([
      { state: "completed", stored: 1 },
      { state: "completed", stored: 0 },
      { state: "completed", stored: 0 },
    ]);
    expect(lines.filter((line) => line.includes("proxy lost the answer"))).toHaveLength(2);
    const reports = await database.client.sql`
      select 1 from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'report-results'`;
    expect(reports).toHaveLength(1);
  });

  it("a plan upload through dropped connections and a run step named by 300 characters both arrive", async () => {
    const longCommand = `echo ${"x".repeat(300)} > /dev/null`;
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [
        {
          dir: "infra/a",
          workflow: {
            steps: [{ type: "init" }, { type: "run", cmd: ["sh", "-c", longCommand] }, { type: "plan" }],
          },
        },
      ],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    let uploads = 0;
    script = (method, url) =>
      method === "POST" && url.endsWith("/plans") && ++uploads <= 2 ? "drop" : "forward";
    const result = await run(inserted.manifestId, inserted.workToken).outcome;
    expect(result.type === "ran" && result.failed).toEqual([]);
    expect(uploads).toBe(3);
    const [row] = await dirspaceRows(inserted.manifestId);
    expect(row!.state).toBe("success");
    const names = row!.steps!.map((step) => step.name);
    expect(names).toEqual(["init", `run: sh -c ${longCommand}`.slice(0, 199) + "…", "plan"]);
    expect(names[1]).toHaveLength(200);
  });

  it("never applies once the server gave up on the run: the apply is refused before terraform runs", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "autoapprove",
      dirspaces: [{ dir: "infra/b" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    // The sweeper declares the run dead just as it is about to apply.
    beforeForward = async (method, url) => {
      if (method === "POST" && url.endsWith("/apply-started")) {
        await database.client.db.transaction((tx) =>
          failDeadManifest(tx, inserted.manifestId, "the run timed out"),
        );
      }
    };
    const result = await run(inserted.manifestId, inserted.workToken).outcome;
    expect(result.type === "ran" && result.failed).toEqual(["infra/b (default)"]);
    const steps = result.type === "ran" ? result.results[0]!.steps : [];
    expect(steps.at(-1)).toMatchObject({ name: "apply", success: false });
    expect(steps.at(-1)?.output).toContain(
      "nothing was applied: the server did not record that this apply is starting",
    );
    expect(steps.at(-1)?.output).toContain("the run timed out");
    await expect(access(path.join(repo.root, "infra/b/terraform.tfstate"))).rejects.toThrow();
  });

  it("the action writes undeliverable results to the job summary and fails loudly", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    script = (method, url) => (isResults(method, url) ? "drop" : "forward");
    const summaryPath = path.join(repo.home, "undelivered-summary.md");
    const action = await execa("node", [path.join(projectRoot, "action/dist/index.js")], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: {
        ...runnerEnv(repo.home),
        GITHUB_ACTIONS: "true",
        GITHUB_STEP_SUMMARY: summaryPath,
        "INPUT_API-URL": proxyUrl,
        "INPUT_WORK-MANIFEST-ID": inserted.manifestId,
        "INPUT_WORK-TOKEN": inserted.workToken,
        TERRAGATE_RETRY_MINUTES: "0.03",
      },
    });
    expect(action.exitCode).toBe(1);
    expect(action.stdout).toMatch(
      /^::error::Terragate could not deliver the results of this plan to http:\/\/127\.0\.0\.1:\d+ after retrying: PUT .* failed/m,
    );
    expect(action.stdout).toContain("terragate: the server did not take a call:");
    const summary = await readFile(summaryPath, "utf8");
    expect(summary).toContain("**These results never reached the Terragate server**");
    expect(summary).toContain("| `infra/a` (default) | ✅ success | 2 | 0 | 0 |");
    expect(summary).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
    const [manifest] = await database.client.db
      .select()
      .from(workManifests)
      .where(eq(workManifests.id, inserted.manifestId));
    expect(manifest!.state).toBe("running");
  });
});
