// Dashboard sign-in and sessions over HTTP: OAuth with the fake GitHub/GitLab, rotation, reuse, sign-out, revocation, CSRF.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { dashboardRefreshTokens, dashboardSessions } from "../../src/db/schema/index.ts";
import { CookieClient, csrfOf } from "./cookie-client.ts";
import { createDashboardBed, type DashboardBed } from "./dashboard-bed.ts";

let bed: DashboardBed;
const access = "tg_session";
const refresh = "tg_refresh";

/** Signs in through the fake GitHub's authorize page as `login`, starting from `path`; returns the landing page. */
async function signIn(client: CookieClient, login: string, path = "/") {
  const start = await client.follow(`${bed.url}${path}`);
  const signInLink = /href="(\/auth\/github\/sign-in[^"]*)"/.exec(start.text)?.[1];
  expect(signInLink, "the sign-in page offers GitHub").toBeDefined();
  const authorize = await client.request(`${bed.url}${signInLink!.replace(/&amp;/g, "&")}`);
  expect(authorize.status).toBe(302);
  const consent = await client.request(authorize.location!);
  expect(consent.status).toBe(200);
  const fields = Object.fromEntries(
    [...consent.text.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((match) => [
      match[1]!,
      match[2]!.replace(/&#38;/g, "&"),
    ]),
  );
  const approved = await client.request(`${bed.github.url}/login/oauth/authorize`, {
    method: "POST",
    form: { ...fields, login },
  });
  expect(approved.status).toBe(302);
  return client.follow(approved.location!);
}

async function sessionCount(): Promise<number> {
  return (await bed.database.client.db.select().from(dashboardSessions)).length;
}

beforeAll(async () => {
  bed = await createDashboardBed({ admins: "github:alice" });
  const a = bed.github.state.addRepo({ owner: "acme", name: "infra", installationId: 101 });
  const b = bed.github.state.addRepo({ owner: "globex", name: "infra", installationId: 202 });
  a.permissions.set("alice", "write");
  b.permissions.set("bob", "admin");
  bed.github.state.oauth.addUser("alice", "Alice A.");
  bed.github.state.oauth.addUser("bob");
  bed.github.state.oauth.addUser("mallory");
  await bed.seedGithubInstallation({ externalId: 101, owner: "acme" });
  await bed.seedGithubInstallation({ externalId: 202, owner: "globex" });
});

afterAll(async () => {
  await bed?.close();
});

beforeEach(async () => {
  await bed.database.client.db.delete(dashboardSessions);
  bed.github.state.repo("acme/infra").permissions.set("alice", "write");
});

describe("sign-in with GitHub", () => {
  it("comes back to the page asked for and shows only the installations the person belongs to", async () => {
    const client = new CookieClient();
    const signedOut = await client.follow(`${bed.url}/i/github/101`);
    expect(signedOut.url).toBe(`${bed.url}/?next=${encodeURIComponent("/i/github/101")}`);
    expect(signedOut.text).toContain("Sign in with GitHub");

    const landing = await signIn(client, "alice", "/i/github/101");
    expect(landing.url).toBe(`${bed.url}/i/github/101`);
    expect(landing.status).toBe(200);
    expect(landing.text).toContain("acme/infra");
    const cookies = landing.headers;
    expect(cookies).toBeDefined();
    expect(client.cookie(bed.url, access)).toBeDefined();

    const home = await client.follow(`${bed.url}/`);
    expect(home.text).toContain(">acme<");
    expect(home.text).not.toContain("globex");
    // Another installation's URL answers 404, exactly like one that does not exist.
    const other = await client.follow(`${bed.url}/i/github/202`);
    const missing = await client.follow(`${bed.url}/i/github/999`);
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.text).not.toContain("globex/infra");
  });

  it("sets HttpOnly SameSite cookies and never follows a `next` to another site", async () => {
    const client = new CookieClient();
    const start = await client.request(
      `${bed.url}/auth/github/sign-in?next=${encodeURIComponent("//evil.example/x")}`,
    );
    expect(start.headers.getSetCookie().join("\n")).toMatch(/tg_oauth=.*HttpOnly.*SameSite=Lax/i);
    const landing = await signIn(client, "bob", `/?next=${encodeURIComponent("https://evil.example/")}`);
    expect(landing.url).toBe(`${bed.url}/`);
    const setCookies = (await client.request(`${bed.url}/`, {})).headers.getSetCookie();
    expect(setCookies).toEqual([]);
  });

  it("refuses a callback whose state is not this browser's, and a replayed callback", async () => {
    const victim = new CookieClient();
    const attacker = new CookieClient();
    const start = await attacker.request(`${bed.url}/auth/github/sign-in`);
    const consent = await attacker.request(start.location!);
    const state = /name="state" value="([^"]*)"/.exec(consent.text)![1]!;
    const approved = await attacker.request(`${bed.github.url}/login/oauth/authorize`, {
      method: "POST",
      form: {
        client_id: new URL(start.location!).searchParams.get("client_id")!,
        redirect_uri: `${bed.url}/api/v1/github/callback`,
        state,
        login: "mallory",
      },
    });
    // The attacker's callback URL opened in the victim's browser (login CSRF) signs nobody in.
    const forced = await victim.request(approved.location!);
    expect(forced.status).toBe(400);
    expect(victim.cookie(bed.url, access)).toBeUndefined();
    // The attacker's own browser may use it once; a replay finds no pending sign-in.
    expect((await attacker.request(approved.location!)).status).toBe(302);
    expect((await attacker.request(approved.location!)).status).toBe(400);
  });

  it("says what went wrong when GitHub refuses the code", async () => {
    const client = new CookieClient();
    const start = await client.request(`${bed.url}/auth/github/sign-in`);
    const state = new URL(start.location!).searchParams.get("state")!;
    const callback = await client.request(`${bed.url}/api/v1/github/callback?code=forged&state=${state}`);
    expect(callback.status).toBe(400);
    expect(callback.text).toContain("bad_verification_code");
    expect(client.cookie(bed.url, access)).toBeUndefined();
  });
});

describe("sessions", () => {
  it("rotates the refresh token on each use; reusing an old one ends the whole session", async () => {
    const client = new CookieClient();
    await signIn(client, "alice");
    const first = client.cookie(bed.url, refresh)!;

    // The access token expired (its cookie dropped): the next page refreshes and rotates.
    client.setCookie(bed.url, access, undefined);
    expect((await client.follow(`${bed.url}/i/github/101`)).status).toBe(200);
    const second = client.cookie(bed.url, refresh)!;
    expect(second).not.toBe(first);
    client.setCookie(bed.url, access, undefined);
    expect((await client.follow(`${bed.url}/i/github/101`)).status).toBe(200);
    const third = client.cookie(bed.url, refresh)!;
    expect(third).not.toBe(second);

    // A thief replays the first token: its successor was used already, so the family is revoked.
    const thief = new CookieClient();
    thief.setCookie(bed.url, refresh, first);
    const stolen = await thief.follow(`${bed.url}/i/github/101`);
    expect(stolen.url).toContain("/?next=");
    const [row] = await bed.database.client.db.select().from(dashboardSessions);
    expect(row?.revokedReason).toBe("refresh token reused");

    // ...and the rightful browser is signed out at its next refresh.
    client.setCookie(bed.url, access, undefined);
    const after = await client.follow(`${bed.url}/i/github/101`);
    expect(after.url).toBe(`${bed.url}/?next=${encodeURIComponent("/i/github/101")}`);
    expect(client.cookie(bed.url, refresh)).toBeUndefined();
  });

  it("lets parallel requests with one expired access token all through (a short grace, not a new family)", async () => {
    const client = new CookieClient();
    await signIn(client, "alice");
    client.setCookie(bed.url, access, undefined);
    const cookieHeader = `${refresh}=${client.cookie(bed.url, refresh)}`;
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        fetch(`${bed.url}/i/github/101`, { headers: { cookie: cookieHeader }, redirect: "manual" }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const issued = answers
      .flatMap((answer) => answer.headers.getSetCookie())
      .filter((line) => line.startsWith(`${refresh}=`));
    expect(issued).toHaveLength(1);
    expect((await bed.database.client.db.select().from(dashboardSessions))[0]?.revokedAt).toBeNull();
  });

  it("sign-out needs the CSRF token, revokes the session, and the old cookies then open nothing", async () => {
    const client = new CookieClient();
    const page = await signIn(client, "alice");
    const oldRefresh = client.cookie(bed.url, refresh)!;
    const oldAccess = client.cookie(bed.url, access)!;

    const forged = await client.request(`${bed.url}/auth/sign-out`, {
      method: "POST",
      form: { _csrf: "nope" },
    });
    expect(forged.status).toBe(403);
    const crossSite = await client.request(`${bed.url}/auth/sign-out`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text) },
      headers: { origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    expect(await sessionCount()).toBe(1);

    const out = await client.request(`${bed.url}/auth/sign-out`, {
      method: "POST",
      form: { _csrf: csrfOf(page.text) },
    });
    expect(out.status).toBe(303);
    expect(client.cookie(bed.url, access)).toBeUndefined();
    const [row] = await bed.database.client.db.select().from(dashboardSessions);
    expect(row?.revokedReason).toBe("signed out");

    const replay = new CookieClient();
    replay.setCookie(bed.url, refresh, oldRefresh);
    expect((await replay.follow(`${bed.url}/i/github/101`)).url).toContain("/?next=");
    expect(oldAccess).toBeDefined();
  });

  it("a person removed from an installation loses it at the next refresh; a revoked grant ends the session", async () => {
    const client = new CookieClient();
    await signIn(client, "alice");
    bed.github.state.repo("acme/infra").permissions.set("alice", "none");
    // Until the access token expires the old membership holds; the refresh asks GitHub again.
    client.setCookie(bed.url, access, undefined);
    expect((await client.follow(`${bed.url}/i/github/101`)).status).toBe(404);

    bed.github.state.repo("acme/infra").permissions.set("alice", "write");
    bed.github.state.oauth.revokeUser("alice");
    client.setCookie(bed.url, access, undefined);
    const after = await client.follow(`${bed.url}/i/github/101`);
    expect(after.url).toContain("/?next=");
    const [row] = await bed.database.client.db.select().from(dashboardSessions);
    expect(row?.revokedReason).toBe("access revoked on github");
  });

  it("survives a server restart: sessions live in the database, not in the process", async () => {
    const client = new CookieClient();
    await signIn(client, "alice");
    const restarted = createApp({ ...bed.deps });
    client.setCookie(bed.url, access, undefined);
    const response = await restarted.fetch(
      new Request(`${bed.url}/i/github/101`, {
        headers: { cookie: `${refresh}=${client.cookie(bed.url, refresh)}` },
      }),
    );
    expect(response.status).toBe(200);
    const tokens = await bed.database.client.db.select().from(dashboardRefreshTokens);
    expect(tokens.filter((token) => token.usedAt !== null)).toHaveLength(1);
    expect(tokens.every((token) => !JSON.stringify(token).includes(client.cookie(bed.url, refresh)!))).toBe(
      true,
    );
  });
});

describe("sign-in with GitLab", () => {
  it("signs a group member in, shows the group, and answers is-member for the session's user", async () => {
    const carol = bed.gitlab.state.addUser("carol");
    bed.gitlab.state.setMember("group", 77, carol, 30);
    bed.gitlab.state.setMember("group", 88, bed.gitlab.state.addUser("dave"), 50);
    const group = await bed.seedGitlabInstallation({ externalId: 77, login: "acme-group" });
    await bed.seedGitlabInstallation({ externalId: 88, login: "other-group" });

    const client = new CookieClient();
    const start = await client.follow(`${bed.url}/`);
    expect(start.text).toContain("Sign in with GitLab");
    const authorize = await client.request(`${bed.url}/auth/gitlab/sign-in`);
    const consent = await client.request(authorize.location!);
    const fields = Object.fromEntries(
      [...consent.text.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]),
    );
    const approved = await client.request(`${bed.gitlab.url}/oauth/authorize`, {
      method: "POST",
      form: { ...fields, login: "carol" },
    });
    const home = await client.follow(approved.location!);
    expect(home.text).toContain("acme-group");
    expect(home.text).not.toContain("other-group");
    expect((await client.follow(`${bed.url}/i/gitlab/77`)).status).toBe(200);
    expect((await client.follow(`${bed.url}/i/gitlab/88`)).status).toBe(404);

    const yes = await client.request(`${bed.url}/api/v1/gitlab/groups/77/is-member`);
    const no = await client.request(`${bed.url}/api/v1/gitlab/groups/88/is-member`);
    expect(yes.status).toBe(200);
    expect(JSON.parse(yes.text)).toEqual({ is_member: true });
    expect(JSON.parse(no.text)).toEqual({ is_member: false });
    expect((await new CookieClient().request(`${bed.url}/api/v1/gitlab/groups/77/is-member`)).status).toBe(
      401,
    );

    const rows = await bed.database.client.db
      .select()
      .from(dashboardSessions)
      .where(eq(dashboardSessions.vcs, "gitlab"));
    expect(rows[0]?.memberships).toEqual([{ installationId: group.id, admin: false }]);
  });
});
