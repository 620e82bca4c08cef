// The app setup flow: manifest form, GHES awareness, state checking, conversion, sealed credentials used without a restart.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createApp } from "../../src/api/app.ts";
import { runSetupCommand } from "../../src/cli/setup.ts";
import { loadConfig } from "../../src/config/env.ts";
import { appCredentials } from "../../src/db/schema/index.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { loadGithubCredentials } from "../../src/vcs/github/credentials.ts";
import { appEvents, appPermissions } from "../../src/vcs/github/setup/app-manifest.ts";
import { createSetupState } from "../../src/vcs/github/setup/setup-state.ts";
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

/** A browser: keeps the cookies the server sets (per path, as browsers do for /setup) and sends them back. */
function browser(app: ReturnType<typeof createApp>) {
  const jar = new Map<string, string>();
  return {
    jar,
    async get(path: string): Promise<Response> {
      const cookie = [...jar.entries()].map(([name, value]) => `${name}=${value}`).join("; ");
      const response = await app.request(path, { headers: cookie ? { cookie } : {} });
      for (const header of response.headers.getSetCookie()) {
        const [pair] = header.split(";");
        const [name, value] = pair!.split("=") as [string, string];
        if (/max-age=0/i.test(header)) jar.delete(name);
        else jar.set(name, value);
      }
      return response;
    },
  };
}

/** The state in the form's GitHub URL, as GitHub would send it back to the callback. */
async function startSetup(client: ReturnType<typeof browser>): Promise<string> {
  const html = await (await client.get("/setup")).text();
  const state = /settings\/apps\/new\?state=([^"&]+)"/.exec(html)?.[1];
  if (!state) throw new Error(`no state in the setup page:\n${html}`);
  return decodeURIComponent(state);
}

function offerCode(code: string, id: number, slug: string, secret: string) {
  github.state.manifestCodes.set(code, { id, slug, pem: testAppPrivateKey(), webhookSecret: secret });
}

async function storedApps() {
  return database.client.db.select({ appId: appCredentials.appId }).from(appCredentials);
}

describe("GET /setup/callback", () => {
  it("rejects a state this server did not issue", async () => {
    const app = createApp(deps());
    const response = await app.request("/setup/callback?code=abc&state=forged.1.x");
    expect(response.status).toBe(400);
    expect(await storedApps()).toHaveLength(0);
  });

  it("converts the code, seals the credentials, links the install page, and serves webhooks at once", async () => {
    offerCode("code123", 777, "terragate-acme", "fresh-secret");
    const app = createApp(deps());
    const client = browser(app);
    const state = await startSetup(client);
    const response = await client.get(`/setup/callback?code=code123&state=${encodeURIComponent(state)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("https://github.com/apps/terragate-acme/installations/new");
    // The state's cookie is spent with it.
    expect(client.jar.has("terragate_setup_state")).toBe(false);

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

  it("binds the state to the browser with an HttpOnly, SameSite=Lax cookie for ten minutes", async () => {
    const app = createApp(deps());
    const response = await app.request("/setup");
    const cookie = response.headers
      .getSetCookie()
      .find((header) => header.startsWith("terragate_setup_state="));
    expect(cookie).toMatch(/; Max-Age=600/);
    expect(cookie).toMatch(/; Path=\/setup/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
  });

  it("refuses a state used in another browser: the attacker's link does nothing in the victim's browser", async () => {
    offerCode("attacker-code", 666, "evil-app", "evil-secret");
    const app = createApp(deps());
    const attacker = browser(app);
    const state = await startSetup(attacker);
    const victim = browser(app);
    const response = await victim.get(
      `/setup/callback?code=attacker-code&state=${encodeURIComponent(state)}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("started in another browser");
    expect(await storedApps()).toHaveLength(0);
    // The code was never spent at GitHub.
    expect(github.state.manifestCodes.has("attacker-code")).toBe(true);
  });

  it("refuses a state older than ten minutes", async () => {
    offerCode("late-code", 778, "late-app", "late");
    const app = createApp(deps());
    const client = browser(app);
    const state = createSetupState(encryptionKey, Date.now() - 11 * 60 * 1000);
    client.jar.set("terragate_setup_state", state);
    const response = await client.get(`/setup/callback?code=late-code&state=${encodeURIComponent(state)}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("more than ten minutes old");
  });

  it("uses a state once: a replayed callback is refused even before any app exists", async () => {
    // GitHub refuses this code (unknown), so the first callback stores nothing.
    const app = createApp(deps());
    const client = browser(app);
    const state = await startSetup(client);
    const cookie = client.jar.get("terragate_setup_state")!;
    const first = await client.get(`/setup/callback?code=unknown&state=${encodeURIComponent(state)}`);
    expect(first.status).toBe(502);
    offerCode("second-try", 779, "replayed", "replayed");
    client.jar.set("terragate_setup_state", cookie);
    const replay = await client.get(`/setup/callback?code=second-try&state=${encodeURIComponent(state)}`);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("used before");
    expect(await storedApps()).toHaveLength(0);
  });

  it("refuses a second app, by replay or by a fresh flow, once one exists; reset on the CLI allows one again", async () => {
    offerCode("first", 801, "first-app", "first-secret");
    const app = createApp(deps());
    const owner = browser(app);
    const state = await startSetup(owner);
    const callback = `/setup/callback?code=first&state=${encodeURIComponent(state)}`;
    const cookie = owner.jar.get("terragate_setup_state")!;
    expect((await owner.get(callback)).status).toBe(200);

    owner.jar.set("terragate_setup_state", cookie);
    const replay = await owner.get(callback);
    expect(replay.status).toBe(409);
    expect(await replay.text()).toContain("terragate setup reset");

    // A complete, valid flow for another app (state and cookie minted as /setup would) is refused too.
    offerCode("second", 802, "second-app", "second-secret");
    const intruder = browser(app);
    expect((await intruder.get("/setup")).status).toBe(409);
    const minted = createSetupState(encryptionKey);
    intruder.jar.set("terragate_setup_state", minted);
    const second = await intruder.get(`/setup/callback?code=second&state=${encodeURIComponent(minted)}`);
    expect(second.status).toBe(409);
    expect(github.state.manifestCodes.has("second")).toBe(true);
    expect(await storedApps()).toEqual([{ appId: "801" }]);
    expect(await loadGithubCredentials(deps())).toMatchObject({
      appId: "801",
      webhookSecret: "first-secret",
    });

    const output: string[] = [];
    const io = {
      config: deps({ DATABASE_URL: database.url }).config,
      stdout: (text: string) => void output.push(text),
      stderr: (text: string) => void output.push(text),
    };
    expect(await runSetupCommand(["reset"], io)).toBe(1);
    expect(output.join("")).toContain("run again with --yes");
    expect(await storedApps()).toHaveLength(1);
    expect(await runSetupCommand(["reset", "--yes"], io)).toBe(0);
    expect(output.join("")).toContain("Forgot GitHub App first-app (id 801");
    expect(await storedApps()).toEqual([]);
    expect((await browser(app).get("/setup")).status).toBe(200);
  });

  it("lets only one of two simultaneous callbacks store an app", async () => {
    offerCode("race-a", 901, "race-a", "a");
    offerCode("race-b", 902, "race-b", "b");
    const app = createApp(deps());
    const [one, two] = [browser(app), browser(app)];
    const [stateOne, stateTwo] = [await startSetup(one), await startSetup(two)];
    const statuses = await Promise.all([
      one.get(`/setup/callback?code=race-a&state=${encodeURIComponent(stateOne)}`),
      two.get(`/setup/callback?code=race-b&state=${encodeURIComponent(stateTwo)}`),
    ]).then((responses) => responses.map((response) => response.status).sort());
    expect(statuses).toEqual([200, 409]);
    expect(await storedApps()).toHaveLength(1);
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
