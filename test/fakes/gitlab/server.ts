// A fake GitLab REST API (/api/v4) on 127.0.0.1:0 that answers the calls Terragate makes, as GitLab does.
//
// Usage:
//   const gitlab = await startFakeGitlab();           // gitlab.url is the instance URL (the API is at /api/v4)
//   const bot = gitlab.state.addUser("group_7_bot", { bot: true }); gitlab.state.addToken("glpat-x", bot.username);
//   const group = gitlab.state.addGroup("acme"); const project = gitlab.state.addProject("acme/infra", { files });
//   gitlab.state.commit(project, "feature", files); gitlab.state.openMergeRequest(project, { iid: 1, … });
//   gitlab.state.fail({ method: "GET", pathPattern: /merge_requests/, status: 503, times: 2 });
//   gitlab.state.requests / project.statuses / project.pipelines / mergeRequest.notes are what tests assert on.
//
// Errors are GitLab's: `{"message": "404 Project Not Found"}`, `{"message": "401 Unauthorized"}`, 400 with
// `{"message": {"base": [...]}}` or `{"error": "..."}`. Lists paginate like GitLab: offset pagination with
// x-page/x-per-page/x-next-page/x-prev-page/x-total/x-total-pages and a Link header; the repository tree
// also takes `pagination=keyset` and links the next page by `page_token`.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGitlabIdTokens } from "./oidc.ts";
import { routes } from "./routes.ts";
import { FakeGitlabState, type FakeToken, type FakeUser } from "./state.ts";

export interface FakeGitlab {
  url: string;
  state: FakeGitlabState;
  /** The instance's id_token issuer (its URL), whose JWKS the fake serves at /oauth/discovery/keys. */
  idTokens: FakeGitlabIdTokens;
  close(): Promise<void>;
}

export interface FakeRequest {
  method: string;
  /** The path under /api/v4, still URL-encoded (GitLab ids may be encoded paths). */
  path: string;
  query: URLSearchParams;
  params: string[];
  body: Record<string, unknown>;
  user: FakeUser;
  token: FakeToken;
  baseUrl: string;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  /** Sent as text/plain instead of JSON (raw files). */
  text?: string;
  headers?: Record<string, string>;
}

export async function startFakeGitlab(state = new FakeGitlabState()): Promise<FakeGitlab> {
  let baseUrl = "";
  let idTokens: FakeGitlabIdTokens | undefined;
  const server = createServer((request, response) => {
    const keys = request.url === "/oauth/discovery/keys" ? idTokens?.answer(request.url) : undefined;
    const handled = keys
      ? keys.then((answer) => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify(answer?.body ?? {}));
        })
      : handle(state, baseUrl, request, response);
    handled.catch((error: unknown) => {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ message: `500 Internal Server Error: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  idTokens = new FakeGitlabIdTokens(baseUrl);
  return {
    url: baseUrl,
    state,
    idTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return Object.fromEntries(new URLSearchParams(text));
  }
}

async function handle(
  state: FakeGitlabState,
  baseUrl: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", baseUrl);
  const method = request.method ?? "GET";
  const body = await readBody(request);
  const path = url.pathname.replace(/^\/api\/v4/, "");
  const result = answer(state, method, path, url.searchParams, body, request, baseUrl);
  state.requests.push({ method, path: decodeURIComponent(path), status: result.status, body });
  const headers: Record<string, string> = {
    "content-type": result.text === undefined ? "application/json" : "text/plain; charset=utf-8",
    "x-request-id": `fake-${state.requests.length}`,
    "ratelimit-limit": "2000",
    "ratelimit-remaining": "1999",
    ...result.headers,
  };
  response.writeHead(result.status, headers);
  if (result.status === 204) response.end();
  else response.end(result.text ?? JSON.stringify(result.body ?? {}));
}

function answer(
  state: FakeGitlabState,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Record<string, unknown>,
  request: IncomingMessage,
  baseUrl: string,
): FakeResponse {
  const failure = state.failures.find(
    (candidate) =>
      candidate.times > 0 &&
      candidate.method === method &&
      candidate.pathPattern.test(decodeURIComponent(path)),
  );
  if (failure) {
    failure.times -= 1;
    if (failure.status === 429) {
      return {
        status: 429,
        body: { message: "Retry later" },
        headers: { "retry-after": String(failure.retryAfter ?? 0), "ratelimit-remaining": "0" },
      };
    }
    return { status: failure.status, body: { message: `${failure.status} Server Error` } };
  }
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
  const secret = (request.headers["private-token"] as string | undefined) ?? bearer;
  const token = secret === undefined ? undefined : state.tokens.get(secret);
  const expired =
    token?.expiresAt !== null && token?.expiresAt !== undefined && Date.parse(token.expiresAt) < Date.now();
  const user = token ? state.userById(token.userId) : undefined;
  if (!token || !user || !token.active || token.revoked || expired) {
    return { status: 401, body: { message: "401 Unauthorized" } };
  }
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const params = match.slice(1).map((param) => decodeURIComponent(param));
    return route.handle(state, { method, path, query, params, body, user, token, baseUrl });
  }
  return { status: 404, body: { error: "404 Not Found" } };
}
