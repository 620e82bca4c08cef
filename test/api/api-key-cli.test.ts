// `terragate api-key` against the test database through DATABASE_URL: create prints a working key, list, revoke.
import { execa } from "execa";
import { afterAll, beforeAll, describe, it } from "vitest";
import { terragateBin } from "../harness/cli-entry.ts";
import { type ApiFixture, createApiFixture } from "./api-fixture.ts";

let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await createApiFixture();
});
afterAll(async () => {
  await fixture?.close();
});

function terragate(args: string[]) {
  return execa("node", [terragateBin, "api-key", ...args], {
    cwd: new URL("../..", import.meta.url),
    env: { DATABASE_URL: fixture.database.url, LOG_LEVEL: "warn", PATH: process.env.PATH },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
}

async function refresh(key: string): Promise<number> {
  return (await fixture.call("POST", "/api/v1/access-token/refresh", key)).status;
}

// Each test starts six `terragate` processes (each ~1 s, several on a loaded two-core machine), so the
// 30 s meant for in-process tests is too short; each process has its own timeout. The two tests touch
// different keys and run at the same time.
describe.concurrent("terragate api-key", { timeout: 120_000 }, () => {
  it("creates a key once, lists it with its last use, and revokes it", async ({ expect }) => {
    const created = await terragate([
      "create",
      "--installation",
      "github:1001",
      "--capability",
      "kv_read",
      "--capability",
      "installation_read,audit_read",
      "--name",
      "dashboard",
    ]);
    expect(created.exitCode, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^tgk_[0-9A-Za-z]{43}$/);
    expect(created.stderr).toContain("shown only this once");

    const before = await terragate(["list", "--installation", `internal:${fixture.a.id}`]);
    expect(before.exitCode).toBe(0);
    const line = before.stdout.split("\n").find((entry) => entry.includes("dashboard"))!;
    const [id, name, capabilities, lastUse] = line.split("\t");
    expect([name, capabilities, lastUse]).toEqual([
      "dashboard",
      "audit_read,installation_read,kv_read",
      "never used",
    ]);
    expect(before.stdout).not.toContain(key);

    expect(await refresh(key)).toBe(200);
    const after = await terragate(["list"]);
    expect(after.stdout.split("\n").find((entry) => entry.startsWith(id!))).toMatch(
      /\tlast used \d{4}-\d\d-\d\dT/,
    );

    const revoked = await terragate(["revoke", id!]);
    expect(revoked.exitCode, revoked.stderr).toBe(0);
    expect(await refresh(key)).toBe(401);
    const listed = await terragate(["list", "--installation", "github:1001"]);
    expect(listed.stdout.split("\n").find((entry) => entry.startsWith(id!))).toMatch(/\trevoked \d{4}-/);
    expect((await terragate(["revoke", id!])).exitCode).toBe(1);

    const audit = await fixture.database.client.sql<{ action: string; actor: string }[]>`
      select action, actor from audit_log where target->>'api_key_id' = ${id!} order by id`;
    expect(audit.map((entry) => entry.action)).toEqual(["api_key.create", "api_key.revoke"]);
    expect(audit[0]!.actor).toMatch(/^cli:/);
  });

  it("explains a wrong installation, capability or missing argument", async ({ expect }) => {
    // Independent commands: started together.
    const [unknownInstallation, badRef, badCapability, noCapability, bare, help] = await Promise.all([
      terragate(["create", "--installation", "gitlab:999", "--capability", "kv_read"]),
      terragate(["create", "--installation", "acme", "--capability", "kv_read"]),
      terragate(["create", "--installation", "github:1001", "--capability", "admin"]),
      terragate(["create", "--installation", "github:1001"]),
      // A bare number is the VCS's installation id, as in the API's URLs.
      terragate(["create", "--installation", "1001", "--capability", "kv_read"]),
      terragate(["--help"]),
    ]);
    expect(unknownInstallation.exitCode).toBe(2);
    expect(unknownInstallation.stderr).toContain("no installation gitlab:999");
    expect(badRef.stderr).toContain("github:<installation id>");
    expect(badCapability.exitCode).toBe(2);
    expect(badCapability.stderr).toContain('unknown capability "admin"');
    expect(noCapability.stderr).toContain("at least one --capability");
    expect(bare.exitCode, bare.stderr).toBe(0);
    expect(bare.stderr).toContain("for github:1001 (alpha)");
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("terragate api-key create");
  });
});
