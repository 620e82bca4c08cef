// Runner endpoint authentication and validation: token binding, single use, 400/403/409/413 (OIDC: runner-identity.test.ts).
import { request as httpRequest } from "node:http";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workManifestDirspaces, workManifests } from "../../src/db/schema/index.ts";
import { failDeadManifest } from "../../src/jobs/manifest-lifecycle.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { sendThenRead as sendRaw } from "../harness/raw-http.ts";
import { insertManifest, startTestServer, type TestServer } from "./runner-fixtures.ts";

const sha = "a".repeat(40);
let database: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestServer(database.client, { TERRAGATE_PLAN_MAX_BYTES: "2048" });
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

beforeEach(() => database.reset());

function manifest(kind: "plan" | "apply" = "plan") {
  return insertManifest(database.client, {
    kind,
    dirspaces: [{ dir: "infra/a" }],
    baseSha: sha,
    headSha: sha,
  });
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api/github/v1/work-manifests/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function initiate(
  id: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await call("POST", `${id}/initiate`, token, { run_id: 1, sha });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const okResult = {
  dirspaces: [
    {
      dir: "infra/a",
      workspace: "default",
      success: true,
      steps: [
        { name: "plan", success: true, exit_code: 0, output: "Plan: 1 to add, 0 to change, 0 to destroy." },
      ],
      summary: { add: 1, change: 0, destroy: 0, import: 0 },
      has_changes: true,
    },
  ],
};

describe("work-manifest endpoints", () => {
  it("hands out a manifest-bound token once per work token", async () => {
    const a = await manifest();
    const first = await initiate(a.manifestId, a.workToken);
    expect(first.status).toBe(200);
    expect(first.body["type"]).toBe("manifest");
    expect(first.body["dirspaces"]).toEqual([
      {
        dir: "infra/a",
        workspace: "default",
        workflow: {
          engine: { name: "terraform" },
          steps: [
            { type: "init", extra_args: [] },
            { type: "plan", extra_args: [] },
          ],
        },
      },
    ]);
    const again = await initiate(a.manifestId, a.workToken);
    expect(again.status).toBe(401);
    expect(again.body["error"]).toContain("already used");
  });

  it("keeps manifest A's tokens away from manifest B", async () => {
    const a = await manifest();
    const b = await manifest();
    const byWorkToken = await initiate(b.manifestId, a.workToken);
    expect(byWorkToken.status).toBe(403);
    const started = await initiate(a.manifestId, a.workToken);
    const jwt = String(started.body["token"]);
    const put = await call("PUT", b.manifestId, jwt, okResult);
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: string }).error).toContain(
      `belongs to work manifest ${a.manifestId}`,
    );
    const upload = await call("POST", `${b.manifestId}/plans`, jwt, {
      dir: "infra/a",
      workspace: "default",
      has_changes: true,
      plan: "AAAA",
    });
    expect(upload.status).toBe(403);
    const [rowB] = await database.client.db
      .select()
      .from(workManifests)
      .where(eq(workManifests.id, b.manifestId));
    expect(rowB!.state).toBe("dispatched");
  });

  it("rejects invalid results with the zod issue paths and changes nothing, then stores results once", async () => {
    const a = await manifest();
    const jwt = String((await initiate(a.manifestId, a.workToken)).body["token"]);
    const invalid = await call("PUT", a.manifestId, jwt, {
      dirspaces: [{ dir: "infra/a", workspace: "default", success: "yes", steps: [{ name: "plan" }] }],
    });
    expect(invalid.status).toBe(400);
    const paths = ((await invalid.json()) as { issues: Array<{ path: string }> }).issues.map(
      (issue) => issue.path,
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        "dirspaces.0.success",
        "dirspaces.0.steps.0.success",
        "dirspaces.0.steps.0.output",
      ]),
    );
    const [before] = await database.client.db
      .select()
      .from(workManifests)
      .where(eq(workManifests.id, a.manifestId));
    expect(before!.state).toBe("running");

    const unknownDir = await call("PUT", a.manifestId, jwt, {
      dirspaces: [{ ...okResult.dirspaces[0], dir: "infra/zzz" }],
    });
    expect(unknownDir.status).toBe(400);

    expect((await call("PUT", a.manifestId, jwt, okResult)).status).toBe(200);
    const [dirspace] = await database.client.db
      .select()
      .from(workManifestDirspaces)
      .where(eq(workManifestDirspaces.workManifestId, a.manifestId));
    expect(dirspace!.summary).toEqual({ add: 1, change: 0, destroy: 0, import: 0 });
    // A repeat (the runner retrying after a lost answer) changes nothing and answers like the first.
    const second = await call("PUT", a.manifestId, jwt, {
      dirspaces: [{ ...okResult.dirspaces[0], summary: { add: 9, change: 9, destroy: 9, import: 0 } }],
    });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ state: "completed", stored: 0 });
    const [after] = await database.client.db
      .select()
      .from(workManifestDirspaces)
      .where(eq(workManifestDirspaces.workManifestId, a.manifestId));
    expect(after!.summary).toEqual({ add: 1, change: 0, destroy: 0, import: 0 });
    expect(after!.reportedAt).toEqual(dirspace!.reportedAt);
    const reports = await database.client.sql`
      select 1 from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'report-results'`;
    expect(reports).toHaveLength(1);
  });

  it("refuses results for a manifest the server already gave up on, naming why", async () => {
    const a = await manifest();
    const jwt = String((await initiate(a.manifestId, a.workToken)).body["token"]);
    await database.client.db.transaction((tx) => failDeadManifest(tx, a.manifestId, "the run timed out"));
    const late = await call("PUT", a.manifestId, jwt, okResult);
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: string }).error).toContain("already failed (the run timed out)");
  });

  it("refuses plans over the size limit with 413 and plan reads to plan manifests", async () => {
    const a = await manifest();
    const jwt = String((await initiate(a.manifestId, a.workToken)).body["token"]);
    const big = await call("POST", `${a.manifestId}/plans`, jwt, {
      dir: "infra/a",
      workspace: "default",
      has_changes: true,
      plan: Buffer.alloc(4096, 1).toString("base64"),
    });
    expect(big.status).toBe(413);
    const small = await call("POST", `${a.manifestId}/plans`, jwt, {
      dir: "infra/a",
      workspace: "default",
      has_changes: true,
      plan: Buffer.alloc(1024, 1).toString("base64"),
    });
    expect(small.status).toBe(201);
    const read = await call("GET", `${a.manifestId}/plans?dir=infra/a&workspace=default`, jwt);
    expect(read.status).toBe(403);
  });

  it("answers done for a finished manifest and 404 for an unknown one", async () => {
    const a = await manifest();
    await database.client.db
      .update(workManifests)
      .set({ state: "completed" })
      .where(eq(workManifests.id, a.manifestId));
    const done = await initiate(a.manifestId, a.workToken);
    expect(done.body).toMatchObject({ type: "done" });
    const unknown = await initiate("00000000-0000-4000-8000-000000000000", a.workToken);
    expect(unknown.status).toBe(404);
    const gitlab = await fetch(`${server.url}/api/gitlab/v1/work-manifests/${a.manifestId}/initiate`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.workToken}`, "content-type": "application/json" },
      body: JSON.stringify({ run_id: 1, sha }),
    });
    expect(gitlab.status).toBe(404);
  });
});

/** Sends the headers and the first chunk of a body, then waits for the answer without sending the rest. */
function answerBeforeBody(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${server.url}${path}`, { method: "POST", headers });
    request.on("response", (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on("error", reject);
    request.write(Buffer.alloc(64 * 1024, 0x20));
  });
}

/**
 * POSTs a request declaring `declared` bytes and sends `sent` of them before reading what came back until the
 * server closes. Without a lingering close the server's early close turns its next write into EPIPE.
 */
function sendThenRead(path: string, declared: number, sent: number): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return sendRaw({
    host: hostname,
    port: Number(port),
    head: `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${declared}`,
    bodyBytes: sent,
  });
}

describe("hostile input", () => {
  const fiftyMegabytes = String(50 * 1024 * 1024);

  it("answers a 50 MB unauthenticated initiate with 413 before its body is sent, and stays healthy", async () => {
    const a = await manifest();
    const refused = await answerBeforeBody(`/api/github/v1/work-manifests/${a.manifestId}/initiate`, {
      "content-type": "application/json",
      "content-length": fiftyMegabytes,
    });
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).error).toBe("an initiate request is at most 65536 bytes");

    // The same body sent whole (as a careless client would) gets the same answer.
    const whole = await fetch(`${server.url}/api/github/v1/work-manifests/${a.manifestId}/initiate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.alloc(50 * 1024 * 1024, 0x20),
    });
    expect(whole.status).toBe(413);

    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await initiate(a.manifestId, a.workToken)).status).toBe(200);
  });

  it("lets a client that reads only once it has sent its oversized body read the 413 (lingering close)", async () => {
    const a = await manifest();
    const refusals: Array<[string, string]> = [
      [
        `/api/github/v1/work-manifests/${a.manifestId}/initiate`,
        "an initiate request is at most 65536 bytes",
      ],
      ["/api/github/v1/events", "webhook body larger than 26214400 bytes"],
      ["/api/gitlab/v1/events", "webhook body larger than 26214400 bytes"],
      ["/api/v1/github/kv/1001/key/big", "request body exceeds 1048576 bytes"],
    ];
    for (const [path, error] of refusals) {
      // Declares 30 MB, sends 4 MiB of it: the 413 and the close come first, the rest meets the drain.
      const read = await sendThenRead(path, 30 * 1024 * 1024, 4 * 1024 * 1024).catch((error: Error) => {
        throw new Error(`${path}: ${error.message}`);
      });
      expect(read, path).toMatch(/^HTTP\/1\.1 413 /);
      expect(read, path).toMatch(/\r\nconnection: close\r\n/i);
      expect(read, path).toContain(error);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await initiate(a.manifestId, a.workToken)).status).toBe(200);
  });

  it("authenticates before reading a body of unknown length, and bounds it once authenticated", async () => {
    const a = await manifest();
    const path = `/api/github/v1/work-manifests/${a.manifestId}/initiate`;
    const chunked = { "content-type": "application/json", "transfer-encoding": "chunked" };
    const anonymous = await answerBeforeBody(path, chunked);
    expect(anonymous.status).toBe(401);
    const badToken = await answerBeforeBody(path, { ...chunked, authorization: "Bearer tgw_forged" });
    expect(badToken.status).toBe(401);

    const oversized = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.workToken}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"run_id":"1","sha":"${sha}","x":"`));
          controller.enqueue(new Uint8Array(70 * 1024).fill(0x61));
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(oversized.status).toBe(413);
    // Refused before anything was consumed: the token still starts the run.
    expect((await initiate(a.manifestId, a.workToken)).status).toBe(200);
  });

  it("checks the manifest token before reading plan and result bodies", async () => {
    const a = await manifest();
    for (const [method, path] of [
      ["POST", `/api/github/v1/work-manifests/${a.manifestId}/plans`],
      ["PUT", `/api/github/v1/work-manifests/${a.manifestId}`],
    ] as const) {
      const answer = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${server.url}${path}`, {
          method,
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        });
        request.on("response", (response) => {
          response.resume();
          request.destroy();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.write(Buffer.alloc(64 * 1024, 0x20));
      });
      expect({ method, answer }).toEqual({ method, answer: 401 });
    }
  });
});
