// Two PRs racing for the same dirspaces with 50 concurrent attempts end with exactly one lock owner per dirspace.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDatabase, type DatabaseClient } from "../../src/db/client.ts";
import { acquireLocks } from "../../src/db/queries/dirspace-locks.ts";
import { upsertInstallation, upsertPullRequest, upsertRepository } from "../../src/db/queries/vcs-sync.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;
let wide: DatabaseClient;

beforeAll(async () => {
  database = await createTestDatabase();
  // Enough connections that the attempts really run at the same time.
  wide = createDatabase(database.url, { max: 25, applicationName: "terragate-lock-race" });
});
afterAll(async () => {
  await wide?.close();
  await database?.close();
});

it("50 parallel lock attempts by two PRs leave exactly one owner, and the loser learns who holds it", async () => {
  const db = database.client.db;
  const installation = await upsertInstallation(db, {
    vcs: "github",
    externalId: "42",
    accountLogin: "acme",
    accountType: "Organization",
  });
  const repository = await upsertRepository(db, installation, {
    externalId: "1",
    owner: "acme",
    name: "infra",
    fullName: "acme/infra",
    private: true,
    defaultBranch: "main",
  });
  const pr = async (number: number) =>
    upsertPullRequest(db, repository, {
      number,
      state: "open",
      draft: false,
      title: "",
      author: "alice",
      baseRef: "main",
      baseSha: "b",
      headRef: `f${number}`,
      headSha: `h${number}`,
      mergeable: true,
      headRepository: { externalId: "1", fullName: "acme/infra" },
      fromFork: false,
    });
  const prs = [await pr(1), await pr(2)];
  // Overlapping sets in different orders: a naive implementation deadlocks or double-grants.
  const sets = [
    [
      { dir: "infra/a", workspace: "default" },
      { dir: "infra/b", workspace: "default" },
    ],
    [
      { dir: "infra/b", workspace: "default" },
      { dir: "infra/a", workspace: "default" },
    ],
  ];
  const attempts = Array.from({ length: 50 }, (_, index) => {
    const owner = prs[index % 2]!;
    return wide.db.transaction((tx) =>
      acquireLocks(tx, {
        installationId: installation.id,
        repositoryId: repository.id,
        pullRequestId: owner.id,
        workManifestId: null,
        dirspaces: sets[index % 2]!,
        keepMergedLocks: false,
      }).then((result) => ({ owner: owner.number, result })),
    );
  });
  const results = await Promise.all(attempts);
  const rows = await database.client.sql<{ dir: string; number: number }[]>`
    select l.dir, p.number from locks l join pull_requests p on p.id = l.pull_request_id order by l.dir`;
  expect(rows).toHaveLength(2);
  const winner = rows[0]!.number;
  expect(rows.every((row) => row.number === winner)).toBe(true);
  for (const { owner, result } of results) {
    if (owner === winner) {
      expect(result.acquired).toHaveLength(2);
      expect(result.heldByOthers).toHaveLength(0);
    } else {
      expect(result.acquired).toHaveLength(0);
      expect(result.heldByOthers.map((holder) => holder.pullRequestNumber)).toEqual([winner, winner]);
    }
  }
});
