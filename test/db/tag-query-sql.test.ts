// The SQL translation of tag queries selects what the in-memory evaluator selects, on the shared table of cases.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { tagQueryCondition } from "../../src/db/queries/tag-query-sql.ts";
import { parseTagQuery } from "../../src/domain/tag-query.ts";
import { caseDirspaces, label, tagQueryCases } from "../fixtures/tag-query-cases.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  await database.client.sql`
    create table case_dirspaces (position int primary key, dir text not null, workspace text not null, tags text[] not null)`;
  for (const [position, dirspace] of caseDirspaces.entries()) {
    await database.client.sql`
      insert into case_dirspaces values (${position}, ${dirspace.dir}, ${dirspace.workspace}, ${dirspace.tags})`;
  }
});
afterAll(async () => {
  await database?.close();
});

it.each(tagQueryCases)("%j selects %j in SQL too", async (query, expected) => {
  const condition = tagQueryCondition(parseTagQuery(query), {
    dir: sql.raw("dir"),
    workspace: sql.raw("workspace"),
    tags: sql.raw("tags"),
  });
  const rows = (await database.client.db.execute(
    sql`select dir, workspace, tags from case_dirspaces where ${condition} order by position`,
  )) as unknown as { dir: string; workspace: string; tags: string[] }[];
  expect(rows.map(label)).toEqual(expected);
});
