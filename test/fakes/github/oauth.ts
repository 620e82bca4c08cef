// The fake GitHub's sign-in side: /login/oauth/* (authorize page, token exchange and refresh) and the user's own API.
//
//   github.state.oauth.registerClient("Iv1.abc", "secret");   // the GitHub App's OAuth client
//   github.state.oauth.addUser("alice");                       // a person who can sign in
//   github.state.oauth.orgAdmins.add("acme/alice");            // org role "admin" (else "member")
//   github.state.oauth.revokeUser("alice");                    // the person revoked the app: tokens stop working
// A person sees an installation (GET /user/installations) when they have a permission other than
// "none" on one of its repositories (repo.permissions), as GitHub lists them for user-to-server tokens.
import { randomBytes } from "node:crypto";
import { paginate, type Schemas } from "./route-helpers.ts";
import type { FakeRequest, FakeResponse } from "./server.ts";
import type { FakeGithubState } from "./state.ts";

interface FakeCode {
  login: string;
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

export class FakeGithubOAuthState {
  readonly clients = new Map<string, string>();
  readonly users = new Map<string, { id: number; name: string }>();
  /** `org/login` pairs whose organization role is admin. */
  readonly orgAdmins = new Set<string>();
  /** Account logins whose installation is a personal account (type User). */
  readonly userAccounts = new Set<string>();
  readonly codes = new Map<string, FakeCode>();
  readonly accessTokens = new Map<string, { login: string; expiresAt: number }>();
  readonly refreshTokens = new Map<string, string>();
  /** Lifetime of user access tokens (GitHub's is 8 hours). */
  tokenTtlSeconds = 28_800;
  private nextUserId = 5000;

  registerClient(clientId: string, clientSecret: string): void {
    this.clients.set(clientId, clientSecret);
  }

  addUser(login: string, name = login): void {
    this.nextUserId += 1;
    this.users.set(login.toLowerCase(), { id: this.nextUserId, name });
  }

  revokeUser(login: string): void {
    for (const [token, entry] of this.accessTokens)
      if (entry.login === login.toLowerCase()) this.accessTokens.delete(token);
    for (const [token, owner] of this.refreshTokens)
      if (owner === login.toLowerCase()) this.refreshTokens.delete(token);
  }

  issueTokens(login: string) {
    const accessToken = `ghu_${randomBytes(18).toString("base64url")}`;
    const refreshToken = `ghr_${randomBytes(30).toString("base64url")}`;
    this.accessTokens.set(accessToken, { login, expiresAt: Date.now() + this.tokenTtlSeconds * 1000 });
    this.refreshTokens.set(refreshToken, login);
    return {
      access_token: accessToken,
      expires_in: this.tokenTtlSeconds,
      refresh_token: refreshToken,
      refresh_token_expires_in: 15_897_600,
      scope: "",
      token_type: "bearer",
    };
  }

  /** The login a user token belongs to, or undefined when it is unknown or expired. */
  userOf(authorization: string | undefined): string | undefined {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    const entry = token ? this.accessTokens.get(token) : undefined;
    return entry && entry.expiresAt > Date.now() ? entry.login : undefined;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function oauthError(error: string, description: string): FakeResponse {
  // GitHub answers token errors with 200 and an `error` field.
  return {
    status: 200,
    body: { error, error_description: description, error_uri: "https://docs.github.com/apps" },
  };
}

function formOf(request: FakeRequest): URLSearchParams {
  if (typeof request.body === "string") return new URLSearchParams(request.body);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries((request.body ?? {}) as Record<string, unknown>)) {
    params.set(key, String(value));
  }
  return params;
}

function authorizePage(request: FakeRequest, message = ""): FakeResponse {
  const fields = ["client_id", "redirect_uri", "state"]
    .map(
      (name) => `<input type="hidden" name="${name}" value="${escapeHtml(request.query.get(name) ?? "")}">`,
    )
    .join("");
  return {
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8" },
    text: `<!doctype html><html lang="en"><head><title>Authorize application</title></head><body>
<main><h1>Sign in to GitHub to continue</h1>${message ? `<p role="alert">${escapeHtml(message)}</p>` : ""}
<form method="post" action="/login/oauth/authorize">${fields}
<label>Username <input name="login" autocomplete="username"></label>
<button type="submit">Authorize</button></form></main></body></html>`,
  };
}

const unauthorized: FakeResponse = {
  status: 401,
  body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" },
};

function visibleInstallations(state: FakeGithubState, login: string) {
  const byId = new Map<number, string>();
  for (const repo of state.repos.values()) {
    const permission = repo.permissions.get(login) ?? repo.permissions.get(login.toLowerCase());
    if (permission && permission !== "none") byId.set(repo.installationId, repo.owner);
  }
  return [...byId.entries()].map(([id, owner]) => {
    const type = state.oauth.userAccounts.has(owner.toLowerCase()) ? "User" : "Organization";
    const installation: Pick<Schemas["installation"], "id" | "app_id" | "target_type"> & {
      account: { login: string; type: string };
    } = { id, app_id: 1, target_type: type, account: { login: owner, type } };
    return installation;
  });
}

/** Answers the sign-in endpoints, or undefined for every other request. */
export function answerOAuth(state: FakeGithubState, request: FakeRequest): FakeResponse | undefined {
  const oauth = state.oauth;
  if (request.method === "GET" && request.path === "/login/oauth/authorize") {
    if (!oauth.clients.has(request.query.get("client_id") ?? "")) {
      return {
        status: 404,
        headers: { "content-type": "text/html" },
        text: "<h1>404 unknown application</h1>",
      };
    }
    return authorizePage(request);
  }
  if (request.method === "POST" && request.path === "/login/oauth/authorize") {
    const form = formOf(request);
    const login = (form.get("login") ?? "").trim().toLowerCase();
    if (!oauth.users.has(login)) return authorizePage({ ...request, query: form }, "Incorrect username.");
    const code = randomBytes(10).toString("hex");
    const redirectUri = form.get("redirect_uri") ?? "";
    oauth.codes.set(code, {
      login,
      clientId: form.get("client_id") ?? "",
      redirectUri,
      expiresAt: Date.now() + 600_000,
    });
    const target = new URL(redirectUri);
    target.searchParams.set("code", code);
    target.searchParams.set("state", form.get("state") ?? "");
    return { status: 302, headers: { location: target.toString(), "content-type": "text/html" }, text: "" };
  }
  if (request.method === "POST" && request.path === "/login/oauth/access_token") {
    const form = formOf(request);
    const clientId = form.get("client_id") ?? "";
    if (!oauth.clients.has(clientId) || oauth.clients.get(clientId) !== form.get("client_secret")) {
      return oauthError(
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
      );
    }
    if (form.get("grant_type") === "refresh_token") {
      const login = oauth.refreshTokens.get(form.get("refresh_token") ?? "");
      if (!login) return oauthError("bad_refresh_token", "The refresh token passed is incorrect or expired.");
      oauth.refreshTokens.delete(form.get("refresh_token") ?? "");
      return { status: 200, body: oauth.issueTokens(login) };
    }
    const code = oauth.codes.get(form.get("code") ?? "");
    oauth.codes.delete(form.get("code") ?? "");
    if (!code || code.expiresAt < Date.now() || code.clientId !== clientId) {
      return oauthError("bad_verification_code", "The code passed is incorrect or expired.");
    }
    if (form.has("redirect_uri") && form.get("redirect_uri") !== code.redirectUri) {
      return oauthError("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL.");
    }
    return { status: 200, body: oauth.issueTokens(code.login) };
  }
  if (request.method === "GET" && request.path === "/user") {
    const login = oauth.userOf(request.authorization);
    if (!login) return unauthorized;
    const user = oauth.users.get(login);
    const body: Pick<Schemas["private-user"], "id" | "login" | "name" | "type"> = {
      id: user?.id ?? 0,
      login,
      name: user?.name ?? null,
      type: "User",
    };
    return { status: 200, body };
  }
  if (request.method === "GET" && request.path === "/user/installations") {
    const login = oauth.userOf(request.authorization);
    if (!login) return unauthorized;
    const all = visibleInstallations(state, login);
    const { page, headers } = paginate(all, request);
    return { status: 200, body: { total_count: all.length, installations: page }, headers };
  }
  const membership = /^\/user\/memberships\/orgs\/([^/]+)$/.exec(request.path);
  if (request.method === "GET" && membership) {
    const login = oauth.userOf(request.authorization);
    if (!login) return unauthorized;
    const org = (membership[1] ?? "").toLowerCase();
    const member = visibleInstallations(state, login).some(
      (installation) => installation.account.login.toLowerCase() === org,
    );
    if (!member)
      return {
        status: 404,
        body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
      };
    const body: Pick<Schemas["org-membership"], "state" | "role"> = {
      state: "active",
      role: oauth.orgAdmins.has(`${org}/${login}`) ? "admin" : "member",
    };
    return { status: 200, body };
  }
  return undefined;
}
