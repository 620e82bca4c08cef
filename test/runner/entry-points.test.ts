// The two ways a run starts: the bundled GitHub Action (OIDC, groups, job summary) and `terragate run`.

import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { eq } from "drizzle-orm";
import { execa } from "execa";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workManifests } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import {
  createTerraformRepo,
  git,
  insertManifest,
  runnerEnv,
  startTestServer,
  type TerraformRepo,
  type TestServer,
  terraformRoot,
} from "./runner-fixtures.ts";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const issuer = "https://token.actions.example.test";
let database: TestDatabase;
let server: TestServer;
let repo: TerraformRepo;
let oidcServer: Server;
let oidcUrl: string;
const oidcRequests: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  // Plays both GitHub's token request endpoint and the issuer's JWKS.
  oidcServer = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    response.setHeader("content-type", "application/json");
    if (url.pathname === "/jwks") {
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    oidcRequests.push(`${request.headers.authorization} ${url.searchParams.get("audience")}`);
    new SignJWT({ repository_id: "1296269" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(issuer)
      .setAudience(url.searchParams.get("audience") ?? "")
      .setSubject("repo:acme/infra:ref:refs/heads/main")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey)
      .then((value) => response.end(JSON.stringify({ value })));
  });
  await new Promise<void>((resolve) => oidcServer.listen(0, "127.0.0.1", resolve));
  oidcUrl = `http://127.0.0.1:${(oidcServer.address() as AddressInfo).port}`;
  server = await startTestServer(database.client, {
    GITHUB_OIDC_ISSUER: issuer,
    GITHUB_OIDC_JWKS_URL: `${oidcUrl}/jwks`,
  });
  repo = await createTerraformRepo({
    "infra/a": terraformRoot("a", 3),
    "infra/broken": 'resource "terraform_data" "x" {\n  input = undefined_thing.value\n}\n',
  });
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => oidcServer?.close(resolve));
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  await git(repo.root, ["checkout", "-q", "main"]);
});

async function state(id: string) {
  const [row] = await database.client.db.select().from(workManifests).where(eq(workManifests.id, id));
  return row!.state;
}

describe("entry points", () => {
  it("the bundled action authenticates with OIDC, groups each dirspace, writes the job summary and fails readably", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/broken" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const summaryPath = path.join(repo.home, "summary.md");
    const result = await execa("node", [path.join(projectRoot, "action/dist/index.js")], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: {
        ...runnerEnv(repo.home),
        GITHUB_ACTIONS: "true",
        GITHUB_RUN_ID: "31337",
        GITHUB_STEP_SUMMARY: summaryPath,
        "INPUT_WORK-MANIFEST-ID": inserted.manifestId,
        "INPUT_API-BASE-URL": server.url,
        "INPUT_WORK-TOKEN": "",
        ACTIONS_ID_TOKEN_REQUEST_URL: `${oidcUrl}/token?x=1`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
      },
    });
    expect(oidcRequests).toContain(`bearer request-token ${server.url}`);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("::group::✅ infra/a (default) +3 ~0 -0");
    expect(result.stdout).toContain("::group::❌ infra/broken (default)");
    expect(result.stdout).toContain("::error::Terragate plan failed for infra/broken (default)");
    const summary = await readFile(summaryPath, "utf8");
    expect(summary).toContain("| `infra/a` (default) | ✅ success | 3 | 0 | 0 |");
    expect(summary).toContain("| `infra/broken` (default) | ❌ failed at plan | – | – | – |");
    expect(await state(inserted.manifestId)).toBe("failed");
  });

  it("the action says what is missing when its inputs are not set", async () => {
    const result = await execa("node", [path.join(projectRoot, "action/dist/index.js")], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: { ...runnerEnv(repo.home), GITHUB_ACTIONS: "true" },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^::error::Invalid configuration:.*work manifest id: required/m);
  });

  it("terragate run plans with the work token from the environment", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const result = await execa("node", [path.join(projectRoot, "src/main.ts"), "run"], {
      cwd: repo.root,
      reject: false,
      extendEnv: false,
      env: {
        ...runnerEnv(repo.home),
        TERRAGATE_API_URL: server.url,
        TERRAGATE_WORK_MANIFEST_ID: inserted.manifestId,
        TERRAGATE_WORK_TOKEN: inserted.workToken,
      },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("ok infra/a (default) (+3 ~0 -0)");
    expect(await state(inserted.manifestId)).toBe("completed");
  });
});
