// Installation references on the command line: a bare number is the VCS's id; ambiguity and typos get the exact forms.
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  findInstallation,
  InstallationRefError,
  parseInstallationRef,
} from "../../src/db/queries/installation-ref.ts";
import { installations } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;
const ids: Record<string, number> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  const rows = await database.client.db
    .insert(installations)
    .values([
      { vcs: "github", externalId: "42", accountLogin: "acme" },
      { vcs: "github", externalId: "77", accountLogin: "both-github" },
      { vcs: "gitlab", externalId: "77", accountLogin: "both-gitlab" },
      { vcs: "gitlab", externalId: "9001", accountLogin: "group" },
      { vcs: "github", externalId: "5", accountLogin: "uninstalled", deletedAt: new Date() },
    ])
    .returning({ id: installations.id, login: installations.accountLogin });
  for (const row of rows) ids[row.login] = row.id;
});
afterAll(async () => {
  await database?.close();
});

const find = (text: string) => findInstallation(database.client.db, parseInstallationRef(text));

test("a bare number is the installation id of the one VCS that has it", async () => {
  expect(await find("42")).toMatchObject({ vcs: "github", externalId: "42", accountLogin: "acme" });
  expect(await find("9001")).toMatchObject({ vcs: "gitlab", externalId: "9001" });
});

test("explicit forms name exactly one installation", async () => {
  expect(await find("gitlab:77")).toMatchObject({ accountLogin: "both-gitlab" });
  expect(await find("github:77")).toMatchObject({ accountLogin: "both-github" });
  expect(await find(`internal:${ids["group"]}`)).toMatchObject({ externalId: "9001" });
});

test("a bare number two VCSs have is ambiguous, and the error lists both forms", async () => {
  await expect(find("77")).rejects.toThrow(
    "77 is ambiguous; say which: github:77 (both-github), gitlab:77 (both-gitlab)",
  );
});

test("a bare number no VCS has points at the internal id it matches", async () => {
  const internal = ids["acme"]!;
  await expect(find(String(internal))).rejects.toThrow(
    `no installation ${internal}; did you mean internal:${internal} (github:42, acme)?`,
  );
});

test("a VCS id under the wrong VCS suggests the right one; unknown and deleted ones say how ids appear", async () => {
  await expect(find("github:9001")).rejects.toThrow("did you mean gitlab:9001 (group)?");
  await expect(find("12345678")).rejects.toThrow(
    /no installation 12345678; it appears once the app is installed/,
  );
  await expect(find("github:5")).rejects.toBeInstanceOf(InstallationRefError);
  expect(() => parseInstallationRef("acme")).toThrow(/internal:<Terragate's id>/);
});
