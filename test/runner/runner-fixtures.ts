// Fixtures for runner tests: a temporary git repository of terraform roots, manifest rows, and a served app.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { Hono } from "hono";
import pino from "pino";
import { createApp } from "../../src/api/app.ts";
import { type Config, loadConfig } from "../../src/config/env.ts";
import { createWorkToken } from "../../src/crypto/work-token.ts";
import type { DatabaseClient } from "../../src/db/client.ts";
import {
  installations,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
  workTokens,
} from "../../src/db/schema/index.ts";
import { createHttpServer } from "../../src/server/runtime.ts";

export const gitEnv = {
  GIT_AUTHOR_NAME: "Terragate Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Terragate Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

/** The environment runner processes get in tests: enough to find git and terraform, nothing else. */
export function runnerEnv(home: string): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, ...gitEnv };
}

export async function git(cwd: string, args: string[]): Promise<string> {
  const result = await execa("git", args, { cwd, env: { ...process.env, ...gitEnv } });
  return String(result.stdout).trim();
}

/**
 * Several git commands in one shell, stopping at the first that fails; returns what they printed.
 * A process started from a test worker costs a copy of the worker's large address space (~15 ms of
 * CPU each); the shell's own git processes are started from a small one.
 */
export async function gitSteps(cwd: string, steps: string[][]): Promise<string> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const script = steps.map((args) => ["git", ...args].map(quote).join(" ")).join(" && ");
  const result = await execa("sh", ["-c", script], { cwd, env: { ...process.env, ...gitEnv } });
  return String(result.stdout).trim();
}

/** The text of each path at `commit`, read by one `git cat-file --batch`. */
export async function readBlobs(cwd: string, commit: string, paths: string[]): Promise<Map<string, string>> {
  const result = await execa("git", ["cat-file", "--batch"], {
    cwd,
    input: paths.map((file) => `${commit}:${file}\n`).join(""),
    encoding: "buffer",
  });
  const output = Buffer.from(result.stdout);
  const blobs = new Map<string, string>();
  let at = 0;
  for (const file of paths) {
    // Each answer: "<oid> <type> <size>\n", the object's bytes, "\n".
    const headerEnd = output.indexOf(0x0a, at);
    const header = output.toString("utf8", at, headerEnd).split(" ");
    if (header[1] !== "blob")
      throw new Error(`${commit}:${file} is not a file (git said ${header.join(" ")})`);
    const size = Number(header[2]);
    blobs.set(file, output.toString("utf8", headerEnd + 1, headerEnd + 1 + size));
    at = headerEnd + 1 + size + 1;
  }
  return blobs;
}

/** A root of `count` terraform_data resources named after `name`, with an output. */
export function terraformRoot(name: string, count: number): string {
  const resources = Array.from(
    { length: count },
    (_, index) => `resource "terraform_data" "r${index}" {\n  input = "\${local.name}-${index}"\n}\n`,
  ).join("\n");
  return `locals {\n  name = "${name}"\n}\n\n${resources}\noutput "first" {\n  value = terraform_data.r0.output\n}\n`;
}

export interface TerraformRepo {
  root: string;
  home: string;
  baseSha: string;
  headSha: string;
}

/** A git repository with `main` (empty roots dir) and a `feature` branch adding the given roots. */
export async function createTerraformRepo(roots: Record<string, string>): Promise<TerraformRepo> {
  const base = await mkdtemp(path.join(tmpdir(), "terragate-repo-"));
  const root = path.join(base, "repo");
  const home = path.join(base, "home");
  await mkdir(root, { recursive: true });
  await mkdir(home, { recursive: true });
  await writeFile(path.join(root, "README.md"), "infrastructure\n");
  await writeFile(
    path.join(root, ".gitignore"),
    ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
  );
  const baseSha = await gitSteps(root, [
    ["init", "-q", "-b", "main"],
    ["add", "."],
    ["commit", "-q", "-m", "initial"],
    ["rev-parse", "HEAD"],
  ]);
  for (const [dir, text] of Object.entries(roots)) {
    await mkdir(path.join(root, dir), { recursive: true });
    await writeFile(path.join(root, dir, "main.tf"), text);
  }
  const headSha = await gitSteps(root, [
    ["checkout", "-q", "-b", "feature"],
    ["add", "."],
    ["commit", "-q", "-m", "roots"],
    ["rev-parse", "HEAD"],
    // The runner starts from the default branch, as a workflow_dispatch on main would.
    ["checkout", "-q", "main"],
  ]);
  return { root, home, baseSha, headSha };
}

export interface TestServer {
  url: string;
  config: Config;
  encryptionKey: Buffer;
  close: () => Promise<void>;
}

/** Serves the whole app on a free port of 127.0.0.1. */
export async function startTestServer(
  database: DatabaseClient,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const encryptionKey = randomBytes(32);
  const holder: { app?: Hono } = {};
  // The production server (keep-alive, lingering close) in front of the app.
  const server = createHttpServer(
    (request) => holder.app?.fetch(request) ?? new Response("starting", { status: 503 }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ TERRAGATE_URL: url, LOG_LEVEL: "silent", ...env });
  holder.app = createApp({ config, database, logger: pino({ level: "silent" }), encryptionKey });
  return {
    url,
    config,
    encryptionKey,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ManifestSpec {
  kind: "plan" | "apply" | "autoapprove" | "drift";
  dirspaces: Array<{ dir: string; workspace?: string; workflow?: unknown }>;
  baseSha: string;
  headSha: string;
  prHeadSha?: string;
  runConfig?: Record<string, unknown>;
  repoExternalId?: string;
  /** owner/name of the repository; default `acme/infra-<external id>`. */
  repoFullName?: string;
  prNumber?: number;
  /** The CI run the dispatch created: recorded on the manifest and bound to its work token. */
  runId?: string;
}

export interface InsertedManifest {
  manifestId: string;
  workToken: string;
  installationId: number;
  repositoryId: number;
  pullRequestId: number;
}

/** Inserts (or reuses) an installation, repository and PR, then a dispatched manifest and its work token. */
export async function insertManifest(
  database: DatabaseClient,
  spec: ManifestSpec,
): Promise<InsertedManifest> {
  const { db } = database;
  const externalId = spec.repoExternalId ?? "1296269";
  const fullName = spec.repoFullName ?? `acme/infra-${externalId}`;
  const [owner = "acme", name = "infra"] = fullName.split("/");
  const [installation] = await db
    .insert(installations)
    .values({ vcs: "github", externalId: "42", accountLogin: "acme" })
    .onConflictDoUpdate({
      target: [installations.vcs, installations.externalId],
      set: { accountLogin: "acme" },
    })
    .returning();
  const [repository] = await db
    .insert(repositories)
    .values({
      installationId: installation!.id,
      vcs: "github",
      externalId,
      owner,
      name,
      fullName,
    })
    .onConflictDoUpdate({
      target: [repositories.vcs, repositories.externalId],
      set: { owner, name, fullName },
    })
    .returning();
  const number = spec.prNumber ?? 7;
  const [pullRequest] = await db
    .insert(pullRequests)
    .values({
      installationId: installation!.id,
      repositoryId: repository!.id,
      number,
      author: "alice",
      baseBranch: "main",
      baseSha: spec.baseSha,
      headBranch: "feature",
      headSha: spec.prHeadSha ?? spec.headSha,
    })
    .onConflictDoUpdate({
      target: [pullRequests.repositoryId, pullRequests.number],
      set: { headSha: spec.prHeadSha ?? spec.headSha, baseSha: spec.baseSha },
    })
    .returning();
  const [manifest] = await db
    .insert(workManifests)
    .values({
      installationId: installation!.id,
      repositoryId: repository!.id,
      pullRequestId: pullRequest!.id,
      vcs: "github",
      kind: spec.kind,
      state: "dispatched",
      baseRef: "main",
      baseSha: spec.baseSha,
      headRef: "feature",
      headSha: spec.headSha,
      requestedBy: "alice",
      runConfig: { parallelism: 2, ...spec.runConfig },
      dispatchedAt: new Date(),
      runId: spec.runId ?? null,
    })
    .returning();
  await db.insert(workManifestDirspaces).values(
    spec.dirspaces.map((dirspace) => ({
      workManifestId: manifest!.id,
      installationId: installation!.id,
      dir: dirspace.dir,
      workspace: dirspace.workspace ?? "default",
      workflow: dirspace.workflow ?? {},
    })),
  );
  const { token, hash } = createWorkToken();
  await db.insert(workTokens).values({
    tokenHash: hash,
    workManifestId: manifest!.id,
    installationId: installation!.id,
    expiresAt: new Date(Date.now() + 3600_000),
    runId: spec.runId ?? null,
  });
  return {
    manifestId: manifest!.id,
    workToken: token,
    installationId: installation!.id,
    repositoryId: repository!.id,
    pullRequestId: pullRequest!.id,
  };
}
