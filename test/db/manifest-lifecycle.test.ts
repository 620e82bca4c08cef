// The manifest lifecycle on a real database: every move from every state, legal or not, and the job each one adds.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertInstallation, upsertRepository } from "../../src/db/queries/vcs-sync.ts";
import { insertWorkManifest } from "../../src/db/queries/work-manifest-creation.ts";
import { workManifestDirspaces, workManifestStates, workManifests } from "../../src/db/schema/index.ts";
import {
  abortManifest,
  failDeadManifest,
  finishWithResults,
  type ManifestMove,
  type ManifestState,
  manifestMoves,
  markDispatched,
  markDispatchFailed,
  markRunning,
  queueDispatch,
} from "../../src/jobs/manifest-lifecycle.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;
let ids: { installationId: number; repositoryId: number };

afterAll(async () => {
  await database?.close();
});
// One installation for every case: each case makes its own manifest and looks only at its own jobs.
beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.client.db;
  const installation = await upsertInstallation(db, {
    vcs: "github",
    externalId: "1",
    accountLogin: "acme",
    accountType: "Organization",
  });
  const repository = await upsertRepository(db, installation, {
    externalId: "10",
    owner: "acme",
    name: "infra",
    fullName: "acme/infra",
    defaultBranch: "main",
    private: true,
  });
  ids = { installationId: installation.id, repositoryId: repository.id };
});

/** A manifest with one dirspace, put straight into `state` (tests set up states the lifecycle would reach). */
async function manifestIn(state: ManifestState, kind: "plan" | "apply" = "plan"): Promise<string> {
  const db = database.client.db;
  const id = await insertWorkManifest(db, {
    ...ids,
    pullRequestId: null,
    vcs: "github",
    kind,
    baseRef: "main",
    baseSha: "a".repeat(40),
    headRef: "feature",
    headSha: "b".repeat(40),
    requestedBy: "alice",
    tagQuery: "",
    commentId: null,
    runConfig: {},
    dirspaces: [{ dir: "infra/a", workspace: "default", tags: [], workflow: {}, planId: null }],
  });
  await db.update(workManifests).set({ state }).where(eq(workManifests.id, id!));
  return id!;
}

async function stateOf(id: string): Promise<{ manifest: string; dirspace: string }> {
  const db = database.client.db;
  const [manifest] = await db.select().from(workManifests).where(eq(workManifests.id, id));
  const [dirspace] = await db
    .select()
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, id));
  return { manifest: manifest!.state, dirspace: dirspace!.state };
}

/** The jobs queued for one manifest. */
async function jobs(id: string): Promise<string[]> {
  const rows = await database.client.sql<{ task: string }[]>`
    select t.identifier as task from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
    where j.payload->>'workManifestId' = ${id} order by j.id`;
  return rows.map((row) => row.task);
}

/** Each move as the code calls it, with the state it aims at and the job it must add. */
const calls: Record<
  ManifestMove,
  { run: (id: string) => Promise<boolean>; to: ManifestState; job: string | null }
> = {
  dispatch: {
    run: (id) => markDispatched(database.client.db, id, { runId: "7", runUrl: null }),
    to: "dispatched",
    job: null,
  },
  dispatchFailed: {
    run: (id) => database.client.db.transaction((tx) => markDispatchFailed(tx, id, "no workflow")),
    to: "failed",
    job: null,
  },
  start: {
    run: (id) => database.client.db.transaction((tx) => markRunning(tx, id, "7")),
    to: "running",
    job: null,
  },
  finish: {
    run: (id) => database.client.db.transaction((tx) => finishWithResults(tx, id, "completed", null)),
    to: "completed",
    job: "report-results",
  },
  abort: {
    run: (id) => database.client.db.transaction((tx) => abortManifest(tx, id, "the PR moved")),
    to: "aborted",
    job: "report-results",
  },
  fail: {
    run: (id) => database.client.db.transaction((tx) => failDeadManifest(tx, id, "the run died")),
    to: "failed",
    job: "report-results",
  },
};

const cases = (Object.keys(manifestMoves) as ManifestMove[]).flatMap((move) =>
  workManifestStates.map((from) => [move, from] as const),
);

describe("manifest lifecycle", () => {
  it.each(cases)("%s from %s moves only when the table allows it", async (move, from) => {
    const id = await manifestIn(from);
    const call = calls[move];
    const legal = (manifestMoves[move].from as readonly ManifestState[]).includes(from);
    expect(await call.run(id)).toBe(legal);
    const after = await stateOf(id);
    expect(after.manifest).toBe(legal ? call.to : from);
    expect(await jobs(id)).toEqual(legal && call.job ? [call.job] : []);
    if (legal && move === "start") expect(after.dirspace).toBe("running");
    if (legal && ["dispatchFailed", "abort", "fail"].includes(move)) expect(after.dirspace).toBe("aborted");
    if (!legal) expect(after.dirspace).toBe("queued");
  });

  it("a new manifest's dispatch job is added in the creating transaction, and vanishes with its rollback", async () => {
    const db = database.client.db;
    const id = await manifestIn("queued");
    await expect(
      db.transaction(async (tx) => {
        await queueDispatch(tx, id);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await jobs(id)).toEqual([]);
    await db.transaction((tx) => queueDispatch(tx, id));
    expect(await jobs(id)).toEqual(["dispatch-run"]);
  });

  it("two finishes race: exactly one wins and one report is queued", async () => {
    const id = await manifestIn("running");
    const results = await Promise.all([calls.finish.run(id), calls.fail.run(id)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await jobs(id)).toEqual(["report-results"]);
  });
});

/** The `apply` audit entries of one manifest. */
async function applyAudits(id: string): Promise<Array<{ actor: string; target: Record<string, unknown> }>> {
  return database.client.sql`
    select actor, target from audit_log where action = 'apply' and target->>'work_manifest' = ${id} order by id`;
}

describe("apply audit", () => {
  const finishing = [
    ["finish", "running"],
    ["abort", "dispatched"],
    ["fail", "running"],
    ["dispatchFailed", "queued"],
  ] as const;

  it.each(finishing)("%s of an apply from %s writes one audit entry with the result", async (move, from) => {
    const id = await manifestIn(from, "apply");
    expect(await calls[move].run(id)).toBe(true);
    const entries = await applyAudits(id);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor).toBe("github:alice");
    expect(entries[0]!.target).toMatchObject({
      repo: "acme/infra",
      pull_request: null,
      kind: "apply",
      result: calls[move].to,
      dirspaces: [
        {
          dir: "infra/a",
          workspace: "default",
          plan_id: null,
          result: move === "finish" ? "queued" : "aborted",
          apply_started: false,
        },
      ],
    });
    // A move that finds the manifest finished writes nothing more.
    expect(await calls[move].run(id)).toBe(false);
    expect(await applyAudits(id)).toHaveLength(1);
  });

  it("a plan is not audited, and an apply's entry vanishes with its transaction's rollback", async () => {
    const plan = await manifestIn("running");
    expect(await calls.finish.run(plan)).toBe(true);
    expect(await applyAudits(plan)).toEqual([]);
    const apply = await manifestIn("running", "apply");
    await expect(
      database.client.db.transaction(async (tx) => {
        await finishWithResults(tx, apply, "completed", null);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await applyAudits(apply)).toEqual([]);
    expect((await stateOf(apply)).manifest).toBe("running");
  });
});

describe("one home for manifest state", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? files(join(dir, entry.name))
        : entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")
          ? [join(dir, entry.name)]
          : [],
    );

  it("no source file but the lifecycle module sets work_manifests.state", () => {
    const offenders = files(join(root, "src")).filter((path) => {
      const text = readFileSync(path, "utf8");
      const drizzle = [...text.matchAll(/\.update\(workManifests\)([\s\S]*?)\.where\(/g)].some((m) =>
        /\bstate\s*:/.test(m[1]!),
      );
      const raw = /update\s+work_manifests\s+set[^;`]*\bstate\s*=/i.test(text);
      return drizzle || raw;
    });
    expect(offenders.map((path) => relative(root, path))).toEqual(["src/jobs/manifest-lifecycle.ts"]);
  });
});
