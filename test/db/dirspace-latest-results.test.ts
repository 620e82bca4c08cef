// dirspace_latest_results, kept by triggers, always equals the newest result per dirspace and slot read from the whole history.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** A small deterministic generator: the same history on every run. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const slotCase = `case when m.kind = 'drift' or (m.pull_request_id is null and m.kind = 'plan') then 'drift'
  when m.kind = 'plan' then 'plan' else 'apply' end`;

/** The newest run per scope, dirspace and slot, from every result row (what the dashboard used to compute). */
async function fromHistory(): Promise<string[]> {
  const rows = await database.client.sql.unsafe<{ line: string }[]>(`
    select concat_ws(' ', scope, dir, workspace, slot, id) as line from (
      select 'repo:' || m.repository_id as scope, d.dir, d.workspace, ${slotCase} as slot,
        (array_agg(m.id order by m.created_at desc, m.id desc))[1] as id
      from work_manifests m join work_manifest_dirspaces d on d.work_manifest_id = m.id
      group by 1, 2, 3, 4
      union all
      select 'pr:' || m.pull_request_id, d.dir, d.workspace, ${slotCase},
        (array_agg(m.id order by m.created_at desc, m.id desc))[1]
      from work_manifests m join work_manifest_dirspaces d on d.work_manifest_id = m.id
      where m.pull_request_id is not null
      group by 1, 2, 3, 4
    ) newest order by 1`);
  return rows.map((row) => row.line);
}

async function kept(): Promise<string[]> {
  const rows = await database.client.sql<{ line: string }[]>`
    select concat_ws(' ', case when pull_request_id is null then 'repo:' || repository_id else 'pr:' || pull_request_id end,
      dir, workspace, slot, work_manifest_id) as line
    from dirspace_latest_results order by 1`;
  return rows.map((row) => row.line);
}

it("matches the whole history through inserts in any order, ties, several rows per statement, and deletes", async () => {
  const { sql } = database.client;
  const random = generator(7);
  const [installation] = await sql<{ id: string }[]>`
    insert into installations (vcs, external_id, account_login) values ('github', '1', 'acme') returning id`;
  const [repository] = await sql<{ id: string }[]>`
    insert into repositories (installation_id, vcs, external_id, owner, name, full_name)
    values (${installation!.id}, 'github', '10', 'acme', 'infra', 'acme/infra') returning id`;
  const pulls: Array<string | null> = [null];
  for (const number of [1, 2]) {
    const [pull] = await sql<{ id: string }[]>`
      insert into pull_requests (installation_id, repository_id, number, title, author, base_branch, base_sha, head_branch, head_sha)
      values (${installation!.id}, ${repository!.id}, ${number}, 't', 'alice', 'main', 'b', 'feature', 'h') returning id`;
    pulls.push(pull!.id);
  }
  for (let index = 0; index < 150; index++) {
    const pull = pulls[index % 3]!;
    const kind = ["plan", "apply", "autoapprove", "drift"][Math.floor(random() * 4)]!;
    // Minutes only, in one transaction's now(): many runs share a created_at, and later rows are often older.
    const minutes = Math.floor(random() * 30);
    const [manifest] = await sql<{ id: string }[]>`
      insert into work_manifests (installation_id, repository_id, pull_request_id, vcs, kind, state,
        base_ref, base_sha, head_ref, head_sha, requested_by, created_at)
      values (${installation!.id}, ${repository!.id}, ${pull}, 'github', ${kind}, 'completed',
        'main', 'b', 'feature', 'h', 'alice', date_trunc('hour', now()) - ${minutes} * interval '1 minute')
      returning id`;
    await sql`insert into work_manifest_dirspaces (work_manifest_id, installation_id, dir, workspace)
      select ${manifest!.id}, ${installation!.id}, 'stack' || g, 'default' from generate_series(1, ${1 + Math.floor(random() * 4)}) g`;
  }
  expect((await kept()).length).toBeGreaterThan(20);
  expect(await kept()).toEqual(await fromHistory());
  // Deleting runs (and one dirspace row alone) hands each slot to the newest result left.
  await sql`delete from work_manifests where id in (select id from work_manifests order by id limit 40)`;
  await sql`delete from work_manifest_dirspaces where (work_manifest_id, dir) in
    (select work_manifest_id, dir from work_manifest_dirspaces order by work_manifest_id, dir limit 5)`;
  expect(await kept()).toEqual(await fromHistory());
  // A PR deleted takes its rows and its runs' place in the repository's.
  await sql`delete from pull_requests where id = ${pulls[1]!}`;
  expect(await kept()).toEqual(await fromHistory());
});
