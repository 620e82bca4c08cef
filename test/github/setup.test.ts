// The app setup flow: manifest form, GHES awareness, state checking, conversion, sealed credentials used without a restart.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createApp } from "../../src/api/app.ts";
import { appEvents, appPermissions } from "../../src/api/setup/app-manifest.ts";
import { createSetupState } from "../../src/api/setup/setup-state.ts";
import { loadConfig } from "../../src/config/env.ts";
import { appCredentials } from "../../src/db/schema/index.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { loadGithubCredentials } from "../../src/vcs/github/credentials.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { sign } from "./testbed.ts";

let github: FakeGithub;
let database: TestDatabase;
const encryptionKey = Buffer.alloc(32, 3);

function deps(extra: Record<string, string> = {}) {
  return {
    config: loadConfig({ GITHUB_API_URL: github.url, TERRAGATE_URL: "https://tg.example.com", ...extra }),
    database: database.client,
    logger: createLogger({ LOG_LEVEL: "silent" }),
    encryptionKey,
  };
}

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
});

describe("GET /setup", () => {
  it("offers a form posting the manifest to GitHub, for a user or an organization", async () => {
    const app = createApp(deps());
    const personal = await (await app.request("/setup")).text();
    expect(personal).toMatch(/action="https:\/\/github\.com\/settings\/apps\/new\?state=[^"]+"/);
    expect(personal).toContain("https://tg.example.com/api/github/v1/events");
    expect(personal).toContain("https://tg.example.com/setup/callback");
    const organization = await (await app.request("/setup?org=acme")).text();
    expect(organization).toContain('action="https://github.com/organizations/acme/settings/apps/new?state=');
  });

  it("targets GitHub Enterprise Server when GHE_HOST is set", async () => {
    const app = createApp(deps({ GHE_HOST: "ghe.acme.internal" }));
    expect(await (await app.request("/setup")).text()).toContain(
      "https://ghe.acme.internal/settings/apps/new",
    );
  });

  it("says so when an app is already configured", async () => {
    const app = createApp(deps({ APP_ID: "9", PRIVATE_KEY: "pem", WEBHOOK_SECRET: "s" }));
    expect((await app.request("/setup")).status).toBe(409);
  });
});

describe("GET /setup/callback", () => {
  it("rejects a state this server did not issue", async () => {
    const app = createApp(deps());
    const response = await app.request("/setup/callback?code=abc&state=forged.1.x");
    expect(response.status).toBe(400);
    expect(await database.client.db.select().from(appCredentials)).toHaveLength(0);
  });

  it("converts the code, seals the credentials, links the install page, and serves webhooks at once", async () => {
    github.state.manifestCodes.set("code123", {
      id: 777,
      slug: "terragate-acme",
      pem: testAppPrivateKey(),
      webhookSecret: "fresh-secret",
    });
    const app = createApp(deps());
    const state = createSetupState(encryptionKey);
    const response = await app.request(`/setup/callback?code=code123&state=${encodeURIComponent(state)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("https://github.com/apps/terragate-acme/installations/new");

    const [row] = await database.client.db.select().from(appCredentials);
    expect(row?.appId).toBe("777");
    expect(row?.secretsSealed.includes(Buffer.from("fresh-secret"))).toBe(false);
    const loaded = await loadGithubCredentials(deps());
    expect(loaded).toMatchObject({ appId: "777", webhookSecret: "fresh-secret", source: "database" });

    const body = JSON.stringify({ zen: "hello" });
    const ping = await app.request("/api/github/v1/events", {
      method: "POST",
      body,
      headers: {
        "x-github-event": "ping",
        "x-github-delivery": "p1",
        "x-hub-signature-256": sign("fresh-secret", body),
      },
    });
    expect(ping.status).toBe(200);
  });
});

it("app.yml asks for exactly the permissions and events the setup flow sends", async () => {
  const manifest = parse(await readFile(new URL("../../app.yml", import.meta.url), "utf8")) as {
    default_permissions: Record<string, string>;
    default_events: string[];
  };
  expect(manifest.default_permissions).toEqual(appPermissions);
  expect(manifest.default_events).toEqual([...appEvents]);
});
