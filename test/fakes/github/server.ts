// A fake GitHub REST API on 127.0.0.1:0 that answers the calls Terragate makes, shaped like the real ones.
//
// Usage:
//   const github = await startFakeGithub();          // github.url is the API base URL (config GITHUB_API_URL)
//   const repo = github.state.addRepo({ owner: "acme", name: "infra", installationId: 42 });
//   const base = github.state.commit("acme/infra", "main", { "a/main.tf": "" });   // → commit sha
//   const head = github.state.commit("acme/infra", "feature", { ... });
//   github.state.openPullRequest("acme/infra", { number: 1, author: "alice", base: "main", head: "feature", files: [...] });
//   repo.permissions.set("alice", "write");  github.state.addTeamMember("acme", "sre", "carol");
//   github.state.approve("acme/infra", 1, "carol");  github.state.fail({ method: "POST", pathPattern: /dispatches/, status: 502, times: 2 });
//   github.state.dispatches / .requests / .botComments(...) / repo.checkRuns are what tests assert on.
//   github.state.latencyMs = 100;   // every request then takes 100 ms before it is handled (slow GitHub)
//   await github.close();
//
// Endpoints: GET /app (JWT only); POST /app/installations/{id}/access_tokens; POST /app-manifests/{code}/conversions;
// GET /repos/{o}/{r}; GET …/contents/{path}?ref=; GET …/git/trees/{sha}[?recursive=1] (content-addressed trees;
// recursive listings truncated at state.limits, like GitHub's 100,000 entries / 7 MB); GET …/compare/{base}...{head}
// (merge base from commit parents); GET …/pulls/{n} (with changed_files);
// GET …/pulls/{n}/files (at most state.limits.pullFiles, 3,000 like GitHub); GET …/pulls/{n}/reviews; PUT …/pulls/{n}/merge; DELETE …/git/refs/heads/{branch};
// GET|POST …/issues/{n}/comments; PATCH …/issues/comments/{id}; POST …/issues/comments/{id}/reactions;
// POST …/check-runs; PATCH …/check-runs/{id}; GET …/commits/{ref}/check-runs; GET …/commits/{ref}/status;
// GET …/collaborators/{user}/permission; GET /orgs/{org}/teams/{slug}/memberships/{user};
// POST …/actions/workflows/{file}/dispatches (404 unless .github/workflows/{file} exists on the ref; creates a
// workflow run; 422 for inputs the workflow does not declare); GET …/actions/workflows/{file}/runs. Actions OIDC: GET /_services/token/.well-known/{openid-configuration,jwks} and the job's token
// request GET /_actions/id-token?run=ID (see actionsJobEnv); tokens carry GitHub's documented claims.
// sign-in (oauth.ts): GET|POST /login/oauth/authorize, POST /login/oauth/access_token, GET /user,
// GET /user/installations, GET /user/memberships/orgs/{org}.
// github.state.hold(method, pathPattern) holds matching requests until the function it returns is called.
// Lists paginate with per_page/page and a `Link` header; every answer carries x-ratelimit-* headers;
// unknown repos, files and routes answer 404 with GitHub's error body.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerOAuth } from "./oauth.ts";
import { FakeOidcIssuer } from "./oidc.ts";
import { routes } from "./routes.ts";
import { FakeGithubState } from "./state.ts";

export interface FakeGithub {
  url: string;
  state: FakeGithubState;
  /** The Actions OIDC issuer (`{url}/_services/token`, as on GitHub Enterprise Server) and its tokens. */
  oidc: FakeOidcIssuer;
  /** An OIDC token of a workflow run for `audience`; `overrides` changes or removes claims. */
  oidcToken(runId: number, audience: string, overrides?: Record<string, unknown>): Promise<string>;
  /** The variables GitHub gives a job of the run (with `id-token: write`), minus GITHUB_EVENT_PATH. */
  actionsJobEnv(runId: number): Record<string, string>;
  close(): Promise<void>;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: string[];
  body: unknown;
  authorization: string | undefined;
  baseUrl: string;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (the sign-in pages); give the content-type in `headers`. */
  text?: string;
  headers?: Record<string, string>;
}

export async function startFakeGithub(state = new FakeGithubState()): Promise<FakeGithub> {
  let baseUrl = "";
  let oidc: FakeOidcIssuer | undefined;
  const server = createServer((request, response) => {
    handle(state, baseUrl, oidc, request, response).catch((error: unknown) => {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ message: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  const issuer = new FakeOidcIssuer(baseUrl);
  oidc = issuer;
  return {
    url: baseUrl,
    state,
    oidc: issuer,
    oidcToken: (runId, audience, overrides) =>
      issuer.token(state, state.workflowRun(runId), audience, overrides),
    actionsJobEnv: (runId) => {
      const run = state.workflowRun(runId);
      return {
        GITHUB_ACTIONS: "true",
        GITHUB_RUN_ID: String(run.id),
        GITHUB_EVENT_NAME: run.event,
        GITHUB_REPOSITORY: run.repo,
        GITHUB_REF: run.ref,
        GITHUB_SHA: run.headSha,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${baseUrl}/_actions/id-token?api-version=2.0&run=${run.id}`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: run.idTokenRequestToken,
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function handle(
  state: FakeGithubState,
  baseUrl: string,
  oidc: FakeOidcIssuer | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", baseUrl);
  // GHES-style clients put the API under /api/v3.
  const path = decodeURIComponent(url.pathname.replace(/^\/api\/v3/, ""));
  const method = request.method ?? "GET";
  const body = await readBody(request);
  if (state.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, state.latencyMs));
  for (const hold of state.holds.filter((held) => held.method === method && held.pathPattern.test(path))) {
    await hold.released;
  }
  const result =
    (method === "GET" &&
      (await oidc?.answer(state, path, url.searchParams, request.headers.authorization))) ||
    answer(state, {
      method,
      path,
      query: url.searchParams,
      params: [],
      body,
      authorization: request.headers.authorization,
      baseUrl,
    });
  state.requests.push({ method, path, status: result.status, at: Date.now(), body });
  const reset = Math.floor(Date.now() / 1000) + 3600;
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-used": "1",
    "x-ratelimit-reset": String(reset),
    "x-ratelimit-resource": "core",
    "x-github-request-id": `FAKE:${state.requests.length}`,
    ...result.headers,
  };
  response.writeHead(result.status, headers);
  if (result.text !== undefined) {
    response.end(result.text);
    return;
  }
  response.end(result.body === undefined || result.status === 204 ? undefined : JSON.stringify(result.body));
}

function answer(state: FakeGithubState, request: FakeRequest): FakeResponse {
  const failure = state.failures.find(
    (candidate) =>
      candidate.times > 0 && candidate.method === request.method && candidate.pathPattern.test(request.path),
  );
  if (failure) {
    failure.times -= 1;
    // GitHub did the work (e.g. created the run) but the answer was lost: a 5xx after recording.
    if (failure.afterRecording) routeAnswer(state, request);
    if (failure.rateLimit) {
      return {
        status: failure.status,
        body: { message: "API rate limit exceeded", documentation_url: "https://docs.github.com/rest" },
        headers: { "x-ratelimit-remaining": "0", "retry-after": "1" },
      };
    }
    return { status: failure.status, body: { message: "Server Error" } };
  }
  const signIn = answerOAuth(state, request);
  if (signIn) return signIn;
  // The manifest conversion is the one call GitHub accepts without credentials (the code is the secret).
  if (!request.authorization && !request.path.startsWith("/app-manifests/")) {
    return {
      status: 401,
      body: { message: "Requires authentication", documentation_url: "https://docs.github.com/rest" },
    };
  }
  return routeAnswer(state, request);
}

function routeAnswer(state: FakeGithubState, request: FakeRequest): FakeResponse {
  for (const route of routes) {
    if (route.method !== request.method) continue;
    const match = route.pattern.exec(request.path);
    if (!match) continue;
    return route.handle(state, { ...request, params: match.slice(1) });
  }
  return notFound();
}

export function notFound(): FakeResponse {
  return {
    status: 404,
    body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" },
  };
}
