// A test run killed before its teardown leaves its embedded cluster behind (in /dev/shm, memory): the next run removes it, and nothing of a live run.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { removeAbandonedClusters } from "../harness/global-setup.ts";

const parents: string[] = [];
afterAll(async () => {
  for (const parent of parents) await rm(parent, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn("true");
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid ?? 0;
}

test("removes clusters whose server is gone and that are quiet, keeps running and fresh ones and anything else", async () => {
  const parent = await mkdtemp(join(tmpdir(), "terragate-abandoned-"));
  parents.push(parent);
  const hourAgo = new Date(Date.now() - 60 * 60_000);
  const cluster = async (name: string, options: { pid?: number; old: boolean }) => {
    const directory = join(parent, name);
    await mkdir(join(directory, "cluster"), { recursive: true });
    if (options.pid !== undefined)
      await writeFile(join(directory, "cluster", "postmaster.pid"), `${options.pid}\n/data\n`);
    if (options.old) await utimes(directory, hourAgo, hourAgo);
  };
  await cluster("terragate-test-pg-killed-in-initdb", { old: true });
  await cluster("terragate-test-pg-killed-running", { pid: await deadPid(), old: true });
  await cluster("terragate-test-pg-running", { pid: process.pid, old: true });
  await cluster("terragate-test-pg-starting", { old: false });
  await cluster("someone-elses", { old: true });

  const removed = await removeAbandonedClusters(parent);

  expect(removed.map((directory) => directory.slice(parent.length + 1)).sort()).toEqual([
    "terragate-test-pg-killed-in-initdb",
    "terragate-test-pg-killed-running",
  ]);
  expect((await readdir(parent)).sort()).toEqual([
    "someone-elses",
    "terragate-test-pg-running",
    "terragate-test-pg-starting",
  ]);
});

test("a missing parent directory removes nothing", async () => {
  expect(await removeAbandonedClusters(join(tmpdir(), "terragate-no-such-parent-9f3a"))).toEqual([]);
});
