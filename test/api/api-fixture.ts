// Tooling API test fixture: a migrated database with two installations' data, the app, and key/token helpers.
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { createApp } from "../../src/api/app.ts";
import { capabilityValues, type Grant } from "../../src/api/auth/capabilities.ts";
import { loadConfig } from "../../src/config/env.ts";
import { createApiKey } from "../../src/db/queries/api-keys.ts";
import {
  defaultBranchSnapshots,
  installations,
  kvEntries,
  locks,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

export interface SeededInstallation {
  id: number;
  vcs: "github" | "gitlab";
  externalId: string;
  repoFullName: string;
  repoId: number;
  pullRequestId: number;
  manifestIds: string[];
}

export interface ApiFixture {
  database: TestDatabase;
  app: ReturnType<typeof createApp>;
  encryptionKey: Buffer;
  a: SeededInstallation;
  b: SeededInstallation;
  /** Creates an API key for the installation (every capability and unlock:* unless listed). */
  apiKey: (installation: SeededInstallation, capabilities?: Grant[]) => Promise<{ id: string; key: string }>;
  /** API key → access token through the refresh route. */
  token: (installation: SeededInstallation, capabilities?: Grant[]) => Promise<string>;
  call: (method: string, path: string, token: string, body?: unknown) => Promise<Response>;
  close: () => Promise<void>;
}

/** The default branch's stacks (staging before prod) and the PR's latest run recording those layers. */
async function seedStacks(
  database: TestDatabase,
  installationId: number,
  repositoryId: number,
  manifestId: string | undefined,
): Promise<void> {
  const node = (dir: string, stack: string) => ({ id: `${dir} (default)`, dir, workspace: "default", stack });
  await database.client.db.insert(defaultBranchSnapshots).values({
    repositoryId,
    installationId,
    branch: "main",
    sha: "c".repeat(40),
    configProblems: [],
    dirspaces: [],
    stacks: {
      config: [
        { name: "staging", tag_query: "staging", depends_on: [] },
        { name: "prod", tag_query: "prod", depends_on: ["staging"] },
      ],
      graph: {
        nodes: [node("infra/prod", "prod"), node("infra/staging", "staging")],
        edges: [
          {
            from: "infra/staging (default)",
            to: "infra/prod (default)",
            reasons: ["stack prod depends on staging"],
          },
        ],
      },
      problems: [],
    },
  });
  if (manifestId === undefined) return;
  const layers = [
    [{ dir: "infra/staging", workspace: "default" }],
    [{ dir: "infra/prod", workspace: "default" }],
  ];
  await database.client.db
    .update(workManifests)
    .set({ runConfig: { notes: { reasons: [], layers, waits: [], indexErrors: [] } } })
    .where(eq(workManifests.id, manifestId));
}

export async function seedInstallation(
  database: TestDatabase,
  input: { vcs: "github" | "gitlab"; externalId: string; login: string; manifests?: number },
): Promise<SeededInstallation> {
  const db = database.client.db;
  const [installation] = await db
    .insert(installations)
    .values({ vcs: input.vcs, externalId: input.externalId, accountLogin: input.login })
    .returning({ id: installations.id });
  const installationId = installation!.id;
  const fullName = `${input.login}/infra`;
  const [repo] = await db
    .insert(repositories)
    .values({
      installationId,
      vcs: input.vcs,
      externalId: `r${input.externalId}`,
      owner: input.login,
      name: "infra",
      fullName,
    })
    .returning({ id: repositories.id });
  const [pr] = await db
    .insert(pullRequests)
    .values({
      installationId,
      repositoryId: repo!.id,
      number: 7,
      title: `${input.login} change`,
      author: `${input.login}-dev`,
      baseBranch: "main",
      baseSha: "a".repeat(40),
      headBranch: "feature",
      headSha: "b".repeat(40),
    })
    .returning({ id: pullRequests.id });
  const manifestIds: string[] = [];
  for (let index = 0; index < (input.manifests ?? 3); index++) {
    const [manifest] = await db
      .insert(workManifests)
      .values({
        installationId,
        repositoryId: repo!.id,
        pullRequestId: pr!.id,
        vcs: input.vcs,
        kind: index % 2 === 0 ? "plan" : "apply",
        state: "completed",
        baseRef: "main",
        baseSha: "a".repeat(40),
        headRef: "feature",
        headSha: "b".repeat(40),
        requestedBy: `${input.login}-dev`,
        createdAt: sql`now() - ${`${10 - index} minutes`}::interval`,
      })
      .returning({ id: workManifests.id });
    manifestIds.push(manifest!.id);
    await db.insert(workManifestDirspaces).values([
      {
        workManifestId: manifest!.id,
        installationId,
        dir: "infra/prod",
        workspace: "default",
        tags: ["prod", "aws"],
        state: "success",
        success: true,
        hasChanges: true,
        summary: { add: 1, change: 0, destroy: 0, import: 0 },
        steps: [
          {
            name: "plan",
            success: true,
            exit_code: 2,
            output: `${input.login} secret plan output ` + "x".repeat(70_000),
          },
        ],
        outputs: { url: `${input.login}.example` },
      },
      {
        workManifestId: manifest!.id,
        installationId,
        dir: "infra/staging",
        workspace: "default",
        tags: ["staging"],
        state: "success",
        success: true,
        hasChanges: false,
      },
    ]);
  }
  await db.insert(locks).values({
    installationId,
    repositoryId: repo!.id,
    dir: "infra/prod",
    workspace: "default",
    pullRequestId: pr!.id,
    workManifestId: manifestIds[0],
  });
  await db.insert(kvEntries).values({ installationId, key: "config/owner", value: { login: input.login } });
  await seedStacks(database, installationId, repo!.id, manifestIds.at(-1));
  return {
    id: installationId,
    vcs: input.vcs,
    externalId: input.externalId,
    repoFullName: fullName,
    repoId: repo!.id,
    pullRequestId: pr!.id,
    manifestIds,
  };
}

export async function createApiFixture(options: { rateLimit?: number } = {}): Promise<ApiFixture> {
  const database = await createTestDatabase();
  const config = loadConfig({
    TERRAGATE_API_RATE_LIMIT: String(options.rateLimit ?? 10_000),
    LOG_LEVEL: "silent",
  });
  const encryptionKey = randomBytes(32);
  const app = createApp({
    config,
    database: database.client,
    logger: pino({ level: "silent" }),
    encryptionKey,
  });
  const a = await seedInstallation(database, { vcs: "github", externalId: "1001", login: "alpha" });
  const b = await seedInstallation(database, { vcs: "github", externalId: "2002", login: "bravo" });

  const apiKey: ApiFixture["apiKey"] = async (
    installation,
    capabilities = [...capabilityValues, "unlock:*"],
  ) => {
    const created = await createApiKey(database.client.db, {
      installationId: installation.id,
      name: "test",
      capabilities,
      createdBy: "test",
    });
    return { id: created.record.id, key: created.key };
  };
  const call: ApiFixture["call"] = async (method, path, token, body) =>
    app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const token: ApiFixture["token"] = async (installation, capabilities) => {
    const { key } = await apiKey(installation, capabilities);
    const response = await call("POST", "/api/v1/access-token/refresh", key);
    if (response.status !== 200)
      throw new Error(`refresh failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  return { database, app, encryptionKey, a, b, apiKey, token, call, close: () => database.close() };
}
