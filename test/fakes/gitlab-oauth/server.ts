// A small fake of GitLab's sign-in: /oauth/authorize and /oauth/token, GET /api/v4/user, and members/all lookups.
//
//   const gitlab = await startFakeGitlabOAuth();        // gitlab.url is the instance URL (GITLAB_URL)
//   gitlab.state.clients.set("app-id", "secret");
//   const bob = gitlab.state.addUser("bob");
//   gitlab.state.setMember("group", 77, bob, 30);         // developer of group 77 (inherited lookups see it too)
//   gitlab.state.revokeUser("bob");
// Errors are GitLab's: 401 {"message":"401 Unauthorized"}, 404 {"message":"404 Not found"},
// token errors 400/401 {"error","error_description"}.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export class FakeGitlabOAuthState {
  readonly clients = new Map<string, string>();
  readonly users = new Map<string, { id: number; name: string }>();
  /** `group:ID` / `project:ID` → user id → access level. */
  readonly members = new Map<string, Map<number, number>>();
  readonly codes = new Map<string, { username: string; clientId: string; redirectUri: string }>();
  readonly accessTokens = new Map<string, string>();
  readonly refreshTokens = new Map<string, string>();
  readonly requests: Array<{ method: string; path: string; status: number }> = [];
  private nextId = 300;

  addUser(username: string, name = username): number {
    this.nextId += 1;
    this.users.set(username, { id: this.nextId, name });
    return this.nextId;
  }

  setMember(kind: "group" | "project", id: number, userId: number, accessLevel: number | null): void {
    const key = `${kind}:${id}`;
    const members = this.members.get(key) ?? new Map<number, number>();
    if (accessLevel === null) members.delete(userId);
    else members.set(userId, accessLevel);
    this.members.set(key, members);
  }

  revokeUser(username: string): void {
    for (const [token, owner] of this.accessTokens) if (owner === username) this.accessTokens.delete(token);
    for (const [token, owner] of this.refreshTokens) if (owner === username) this.refreshTokens.delete(token);
  }

  issue(username: string) {
    const access = randomBytes(20).toString("hex");
    const refresh = randomBytes(20).toString("hex");
    this.accessTokens.set(access, username);
    this.refreshTokens.set(refresh, username);
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: 7200,
      refresh_token: refresh,
      scope: "read_api",
      created_at: Math.floor(Date.now() / 1000),
    };
  }
}

export interface FakeGitlabOAuth {
  url: string;
  state: FakeGitlabOAuthState;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  json?: unknown;
  html?: string;
  location?: string;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if ((request.headers["content-type"] ?? "").includes("json") && text) {
    return new URLSearchParams(Object.entries(JSON.parse(text) as Record<string, string>));
  }
  return new URLSearchParams(text);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function authorizePage(query: URLSearchParams): Answer {
  const fields = ["client_id", "redirect_uri", "state"]
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(query.get(name) ?? "")}">`)
    .join("");
  return {
    status: 200,
    html: `<!doctype html><html lang="en"><head><title>GitLab sign in</title></head><body><main><h1>Authorize Terragate</h1>
<form method="post" action="/oauth/authorize">${fields}<label>Username <input name="login"></label>
<button type="submit">Authorize</button></form></main></body></html>`,
  };
}

function answer(
  state: FakeGitlabOAuthState,
  method: string,
  url: URL,
  form: URLSearchParams,
  auth: string,
): Answer {
  const path = url.pathname;
  if (method === "GET" && path === "/oauth/authorize") {
    return state.clients.has(url.searchParams.get("client_id") ?? "")
      ? authorizePage(url.searchParams)
      : { status: 400, html: "<h1>The client is not authorized</h1>" };
  }
  if (method === "POST" && path === "/oauth/authorize") {
    const username = form.get("login") ?? "";
    if (!state.users.has(username)) return authorizePage(form);
    const code = randomBytes(12).toString("hex");
    const redirectUri = form.get("redirect_uri") ?? "";
    state.codes.set(code, { username, clientId: form.get("client_id") ?? "", redirectUri });
    const target = new URL(redirectUri);
    target.searchParams.set("code", code);
    target.searchParams.set("state", form.get("state") ?? "");
    return { status: 302, location: target.toString() };
  }
  if (method === "POST" && path === "/oauth/token") {
    const clientId = form.get("client_id") ?? "";
    if (state.clients.get(clientId) !== form.get("client_secret")) {
      return {
        status: 401,
        json: { error: "invalid_client", error_description: "Client authentication failed" },
      };
    }
    const grant = form.get("grant_type");
    const invalidGrant = {
      status: 400,
      json: { error: "invalid_grant", error_description: "The provided authorization grant is invalid" },
    };
    if (grant === "refresh_token") {
      const username = state.refreshTokens.get(form.get("refresh_token") ?? "");
      if (!username) return invalidGrant;
      state.refreshTokens.delete(form.get("refresh_token") ?? "");
      return { status: 200, json: state.issue(username) };
    }
    const code = state.codes.get(form.get("code") ?? "");
    state.codes.delete(form.get("code") ?? "");
    if (grant !== "authorization_code" || !code || code.redirectUri !== form.get("redirect_uri"))
      return invalidGrant;
    return { status: 200, json: state.issue(code.username) };
  }
  const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  const username = token ? state.accessTokens.get(token) : undefined;
  const user = username ? state.users.get(username) : undefined;
  if (!username || !user) return { status: 401, json: { message: "401 Unauthorized" } };
  if (method === "GET" && path === "/api/v4/user") {
    return { status: 200, json: { id: user.id, username, name: user.name, state: "active" } };
  }
  const member = /^\/api\/v4\/(groups|projects)\/(\d+)\/members\/all\/(\d+)$/.exec(path);
  if (method === "GET" && member) {
    const kind = member[1] === "groups" ? "group" : "project";
    const level = state.members.get(`${kind}:${member[2]}`)?.get(Number(member[3]));
    // Only members can see a private group's members.
    const callerIsMember = state.members.get(`${kind}:${member[2]}`)?.has(user.id) ?? false;
    if (level === undefined || !callerIsMember) return { status: 404, json: { message: "404 Not found" } };
    const target = [...state.users.entries()].find(([, entry]) => entry.id === Number(member[3]));
    return {
      status: 200,
      json: { id: Number(member[3]), username: target?.[0] ?? "", access_level: level, state: "active" },
    };
  }
  return { status: 404, json: { message: "404 Not found" } };
}

export async function startFakeGitlabOAuth(state = new FakeGitlabOAuthState()): Promise<FakeGitlabOAuth> {
  let baseUrl = "";
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", baseUrl);
    readForm(request)
      .then((form) => {
        const result = answer(state, request.method ?? "GET", url, form, request.headers.authorization ?? "");
        state.requests.push({ method: request.method ?? "GET", path: url.pathname, status: result.status });
        if (result.location) {
          response.writeHead(result.status, { location: result.location });
          response.end();
        } else if (result.html !== undefined) {
          response.writeHead(result.status, { "content-type": "text/html; charset=utf-8" });
          response.end(result.html);
        } else {
          response.writeHead(result.status, { "content-type": "application/json" });
          response.end(JSON.stringify(result.json));
        }
      })
      .catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ message: `500 Internal Server Error: ${String(error)}` }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
