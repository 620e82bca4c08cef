// The drift scheduler: schedules read from the default branch only, fired by a fake clock once across replicas, dispatched like plans.
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabase } from "../../src/db/client.ts";
import { driftFirings, workManifestDirspaces, workManifests } from "../../src/db/schema/index.ts";
import { scheduleDrift } from "../../src/jobs/drift-schedules.ts";
import { pushEvent, repoFullName } from "../github/payloads.ts";
import { createTestbed, seedRepository, type Testbed } from "../github/testbed.ts";
import { seedDriftRepositories } from "./drift-seed.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await createTestbed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
});

const driftConfig = `version: 1
dirs:
  infra/a: { tags: [prod] }
drift:
  enabled: true
  schedules:
    nightly: { cron: "0 3 * * *", tag_query: "prod" }
`;

const logger = () => bed.deps.logger;
const db = () => bed.database.client.db;

async function driftManifests() {
  return db().select().from(workManifests).where(eq(workManifests.kind, "drift"));
}

/** The standard repository with the drift config on main, made known by a push to main. */
async function pushedRepository(): Promise<string> {
  const { main } = seedRepository(bed.github, { ".terragate/config.yml": driftConfig });
  expect(await bed.send("push", pushEvent(main))).toBe(202);
  await bed.work();
  return main;
}

describe("drift schedules", () => {
  it("fire at their cron time once, on the default branch's head, and are dispatched like plans", async () => {
    const main = await pushedRepository();
    expect(await scheduleDrift(db(), new Date("2026-03-02T02:59:00Z"), logger())).toMatchObject({
      started: 1, // last night's 03:00 firing was never run: it runs once now
    });
    const [first] = await driftManifests();
    expect(first).toMatchObject({
      kind: "drift",
      pullRequestId: null,
      headRef: "main",
      headSha: main,
      tagQuery: "prod",
      requestedBy: "schedule:nightly",
    });
    // Only the dirspaces the schedule's tag query matches.
    const dirspaces = await db()
      .select({ dir: workManifestDirspaces.dir })
      .from(workManifestDirspaces)
      .where(eq(workManifestDirspaces.workManifestId, first!.id));
    expect(dirspaces.map((d) => d.dir)).toEqual(["infra/a"]);

    // The same minute again (another tick, another replica): taken, nothing new.
    expect(await scheduleDrift(db(), new Date("2026-03-02T02:59:40Z"), logger())).toMatchObject({
      started: 0,
      taken: 1,
    });
    await bed.work();
    const dispatches = bed.github.state.dispatches.filter((d) => d.repo === repoFullName);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]).toMatchObject({ ref: "main", inputs: { "work-manifest-id": first!.id } });
    const [dispatched] = await driftManifests();
    expect(dispatched?.state).toBe("dispatched");

    // Tonight's firing meets the first run still in flight: skipped, and the skip recorded.
    expect(await scheduleDrift(db(), new Date("2026-03-02T03:00:10Z"), logger())).toMatchObject({
      skipped: 1,
    });
    expect(await driftManifests()).toHaveLength(1);
    const [skipped] = await db()
      .select()
      .from(driftFirings)
      .where(and(eq(driftFirings.slot, new Date("2026-03-02T03:00:00Z"))));
    expect(skipped?.skipped).toBe("a drift run of this repository is still in flight");
  });

  it("come from the default branch only: a branch's config schedules nothing", async () => {
    const { main } = seedRepository(bed.github);
    expect(await bed.send("push", pushEvent(main))).toBe(202);
    await bed.work();
    // Someone pushes a branch that turns drift on: not the default branch, so not read.
    const branchSha = bed.github.state.commit(repoFullName, "feature", {
      ...Object.fromEntries(bed.github.state.filesAt(bed.github.state.repo(repoFullName), "main") ?? []),
      ".terragate/config.yml": driftConfig,
    });
    // Acknowledged and ignored (a push to another branch refreshes nothing).
    expect(await bed.send("push", pushEvent(branchSha, { ref: "refs/heads/feature" }))).toBe(200);
    await bed.work();
    expect(await scheduleDrift(db(), new Date("2026-03-02T03:00:00Z"), logger())).toMatchObject({ due: 0 });
    expect(await driftManifests()).toHaveLength(0);
  });

  it("never fire one schedule twice, even from two replicas ticking at the same moment", async () => {
    const seed = await seedDriftRepositories(db(), {
      count: 30,
      dirspaces: 3,
      drift: {
        enabled: true,
        reconcile: false,
        schedules: {
          nightly: { cron: "0 3 * * *", tag_query: "" },
          hourly: { cron: "0 * * * *", tag_query: "prod" },
        },
      },
    });
    const replicaA = createDatabase(bed.database.url, { max: 2, applicationName: "drift-replica-a" });
    const replicaB = createDatabase(bed.database.url, { max: 2, applicationName: "drift-replica-b" });
    try {
      const now = new Date("2026-03-02T03:00:05Z");
      const results = await Promise.all([
        scheduleDrift(replicaA.db, now, logger()),
        scheduleDrift(replicaB.db, now, logger()),
        scheduleDrift(replicaA.db, new Date(now.getTime() + 20_000), logger()),
      ]);
      // Each repository owes two firings (nightly and hourly at 03:00), and one drift run at a time.
      const firings = await db().select().from(driftFirings);
      expect(firings).toHaveLength(60);
      const manifests = await driftManifests();
      expect(manifests).toHaveLength(30);
      expect(new Set(manifests.map((m) => m.repositoryId))).toEqual(new Set(seed.repositoryIds));
      expect(results.reduce((sum, r) => sum + r.started, 0)).toBe(30);
      expect(results.reduce((sum, r) => sum + r.started + r.skipped + r.taken, 0)).toBe(180);
    } finally {
      await replicaA.close();
      await replicaB.close();
    }
  });
});
