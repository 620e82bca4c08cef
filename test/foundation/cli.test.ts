// The command line: usage and suggestions, configuration errors, and migrations that fail stop start-up with the SQL error.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, describe, expect, test } from "vitest";
import { terragateBin } from "../harness/cli-entry.ts";
import { createEmptyDatabase } from "../harness/database.ts";

const run = promisify(execFile);
const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function terragate(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [terragateBin, ...args], {
      env: { PATH: process.env["PATH"] ?? "", LOG_LEVEL: "silent", ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
  }
}

const key = Buffer.alloc(32, 3).toString("base64");

describe("terragate", () => {
  test("--help lists the commands; a typo gets a suggestion and exit code 2", async () => {
    const help = await terragate(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/serve\s+run the HTTP server/);
    expect(help.stdout).toMatch(/worker\s+/);
    expect(help.stdout).toMatch(/migrate\s+/);
    const typo = await terragate(["serv"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("Did you mean `terragate serve`?");
  });

  test("serve refuses a bad environment with every problem listed", async () => {
    const result = await terragate(["serve"], { PORT: "abc", LOG_LEVEL: "chatty" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Invalid configuration");
    expect(result.stderr).toContain('PORT ("abc")');
    expect(result.stderr).toContain('LOG_LEVEL ("chatty")');
  });

  test("worker needs DATABASE_URL, and the encryption key comes with it", async () => {
    const noDatabase = await terragate(["worker"]);
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toContain("DATABASE_URL is required");
    const { url, drop } = await createEmptyDatabase();
    drops.push(drop);
    const noKey = await terragate(["worker"], { DATABASE_URL: url });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("TERRAGATE_ENCRYPTION_KEY is required when DATABASE_URL is set");
  });

  test("migrate brings an empty database up to date", async () => {
    const { url, drop } = await createEmptyDatabase();
    drops.push(drop);
    const result = await terragate(["migrate"], { DATABASE_URL: url });
    expect(result).toMatchObject({ code: 0 });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const [row] = await sql<
      { exists: boolean }[]
    >`select to_regclass('public.work_manifests') is not null as exists`;
    await sql.end();
    expect(row?.exists).toBe(true);
  });

  test("a migration that fails stops serve before it listens, with the SQL error", async () => {
    const { url, drop } = await createEmptyDatabase();
    drops.push(drop);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    // A table in the way of the first migration, as left by some other application.
    await sql`create table installations (unrelated text)`;
    await sql.end();
    const result = await terragate(["serve"], {
      DATABASE_URL: url,
      TERRAGATE_ENCRYPTION_KEY: key,
      PORT: "1",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Database migration failed");
    expect(result.stderr).toContain('relation "installations" already exists');
  });
});
