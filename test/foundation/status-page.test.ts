// GET / leads a browser to /setup until an app exists, then (until someone can sign in) to /status: version, database, worker, app name, installations.
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { terragateVersion } from "../../src/config/version.ts";
import { seal } from "../../src/crypto/seal.ts";
import { storeFirstApp } from "../../src/db/queries/setup.ts";
import { installations } from "../../src/db/schema/index.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { appSecretsContext } from "../../src/vcs/github/credentials.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let github: FakeGithub;
let database: TestDatabase;
const encryptionKey = Buffer.alloc(32, 5);

beforeAll(async () => {
  github = await startFakeGithub();
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
  await github?.close();
});
beforeEach(async () => {
  await database.reset();
  github.state.failures.length = 0;
});

function app(env: Record<string, string> = {}) {
  return createApp({
    config: loadConfig({ GITHUB_API_URL: github.url, ...env }),
    database: database.client,
    logger: createLogger({ LOG_LEVEL: "silent" }),
    encryptionKey,
    workerStatus: () => "running",
  });
}

const envApp = { APP_ID: "1", PRIVATE_KEY: testAppPrivateKey(), WEBHOOK_SECRET: "s" };

async function seedInstallations() {
  await database.client.db.insert(installations).values([
    { vcs: "github", externalId: "11", accountLogin: "acme" },
    { vcs: "gitlab", externalId: "22", accountLogin: "group" },
    { vcs: "github", externalId: "33", accountLogin: "gone", deletedAt: new Date() },
  ]);
}

test("GET / redirects to /setup while no app is configured", async () => {
  const response = await app().request("/");
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).toBe("/setup");
});

test("with an app from the setup page, GET / leads to a status page naming it", async () => {
  const secrets = JSON.stringify({ pem: testAppPrivateKey(), webhook_secret: "w" });
  await storeFirstApp(database.client.db, {
    appId: "555",
    slug: "terragate-acme",
    htmlUrl: "https://github.com/apps/terragate-acme",
    clientId: null,
    secretsSealed: seal(encryptionKey, Buffer.from(secrets), appSecretsContext("555")),
  });
  await seedInstallations();
  const server = app();
  const root = await server.request("/");
  expect(root.status).toBe(302);
  expect(root.headers.get("location")).toBe("/status");
  const page = await (await server.request("/status")).text();
  expect(page).toContain(`<th>Version</th><td>${terragateVersion()}</td>`);
  expect(page).toContain("<th>Database</th><td>ok</td>");
  expect(page).toContain("<th>Worker</th><td>running in this process");
  expect(page).toContain("terragate-acme (id 555, from the setup page)");
  expect(page).toContain("<th>Installations</th><td>2</td>");
});

test("with an app from the environment, the status asks GitHub for its name (JSON on request)", async () => {
  await seedInstallations();
  const response = await app(envApp).request("/status", { headers: { accept: "application/json" } });
  expect(await response.json()).toEqual({
    version: terragateVersion(),
    database: "ok",
    worker: "running",
    live_worker_pools: 0,
    app: { id: "1", name: github.state.app.slug, source: "env" },
    installations: 2,
  });
});

test("when GitHub does not answer, the status page still answers and says why the name is missing", async () => {
  github.state.fail({ method: "GET", pathPattern: /^\/app$/, status: 503, times: 5 });
  const page = await (await app(envApp).request("/status")).text();
  expect(page).toContain("id 1 (id 1, from APP_ID) — name unavailable: GitHub answered 503");
});
