// The transactional outbox: a job added inside a transaction exists exactly when the transaction commits.
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { addJob } from "../../src/jobs/add-job.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
});

async function jobs(): Promise<
  Array<{ task: string; payload: unknown; queue: string | null; key: string | null }>
> {
  return database.client.sql`
    select t.identifier as task, j.payload, q.queue_name as queue, j.key
    from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
    left join graphile_worker._private_job_queues q on q.id = j.job_queue_id
    order by j.id`;
}

class Rollback extends Error {}

test("the job is invisible to other connections until commit, then visible with its payload and options", async () => {
  let seenInside: unknown[] = [];
  await database.client.db.transaction(async (tx) => {
    await addJob(
      tx,
      "evaluate-event",
      { vcs: "github", deliveryId: "d-1" },
      { queueName: "pr:acme/infra#42", jobKey: "k-1" },
    );
    seenInside = await jobs();
  });
  expect(seenInside).toEqual([]);
  expect(await jobs()).toEqual([
    {
      task: "evaluate-event",
      payload: { vcs: "github", deliveryId: "d-1" },
      queue: "pr:acme/infra#42",
      key: "k-1",
    },
  ]);
});

test("a rolled-back transaction leaves no job behind", async () => {
  await expect(
    database.client.db.transaction(async (tx) => {
      await addJob(tx, "dispatch-run", { workManifestId: "m-1" });
      throw new Rollback("simulated failure after adding the job");
    }),
  ).rejects.toBeInstanceOf(Rollback);
  expect(await jobs()).toEqual([]);
});

test("reset empties the job queue between tests", async () => {
  await addJob(database.client.db, "report-results", { workManifestId: "m-2" });
  expect(await jobs()).toHaveLength(1);
  await database.reset();
  expect(await jobs()).toEqual([]);
});
