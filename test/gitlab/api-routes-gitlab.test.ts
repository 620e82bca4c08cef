// Every /api/v1/{vcs}/… route of an installation answers for a GitLab installation with its real data (read from
// openapi.json, so a new route fails here until it has a GitLab check), and no token crosses between GitHub and GitLab.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capabilityValues, type Grant } from "../../src/api/auth/capabilities.ts";
import { createApiKey } from "../../src/db/queries/api-keys.ts";
import { workManifestDirspaces, workManifests } from "../../src/db/schema/index.ts";
import { gitlabCiSnippet } from "../../src/vcs/gitlab/ci-snippet.ts";
import { type SeededInstallation, seedInstallation } from "../api/api-fixture.ts";
import type { FakeMergeRequest, FakePipeline, FakeProject } from "../fakes/gitlab/state.ts";
import { adminToken, createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import { githubWordsIn } from "./gitlab-words.ts";
import { project as hookProject, mergeRequestHook, noteHook } from "./payloads.ts";

let bed: GitlabBed;
let project: FakeProject;
let mergeRequest: FakeMergeRequest;
let groupId: string;
/** A GitHub installation whose id on GitHub equals the GitLab group's id: only the VCS tells them apart. */
let github: SeededInstallation;
let gitlabToken: string;
let githubToken: string;
let planManifestId: string;
let applyManifestId: string;

const fullName = "acme/platform/infra";
const config = `version: 1
stacks:
  staging:
    tag_query: "dir:infra/staging"
  prod:
    tag_query: "dir:infra/prod"
    depends_on: [staging]
`;

async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return bed.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function tokenFor(installationId: number): Promise<string> {
  const { key } = await createApiKey(bed.database.client.db, {
    installationId,
    name: "routes",
    capabilities: [...capabilityValues, "unlock:*"] as Grant[],
    createdBy: "test",
  });
  const response = await call("POST", "/api/v1/access-token/refresh", key);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function sendHook(hook: string, payload: unknown): Promise<void> {
  const secret = bed.gitlab.state.group("acme")?.hooks[0]?.token ?? "";
  const response = await bed.send(hook, payload, { token: secret });
  expect(response.status).toBe(202);
  await bed.work();
}

/** What the Terragate component's job does for a pipeline: initiate with the work token, upload plans, report. */
async function runPipeline(pipeline: FakePipeline, kind: "plan" | "apply"): Promise<string> {
  const id = String(pipeline.inputs?.["terragate_work_manifest_id"]);
  const runner = (method: string, path: string, token: string, body?: unknown) =>
    call(method, `/api/gitlab/v1/work-manifests/${id}${path}`, token, body);
  const initiated = await runner("POST", "/initiate", String(pipeline.inputs?.["terragate_work_token"]), {
    run_id: String(pipeline.id),
    sha: mergeRequest.headSha,
  });
  expect(initiated.status, await initiated.clone().text()).toBe(200);
  const manifest = (await initiated.json()) as {
    token: string;
    dirspaces: { dir: string; workspace: string }[];
  };
  for (const dirspace of manifest.dirspaces) {
    if (kind === "plan") {
      const plan = Buffer.from(`plan of ${dirspace.dir}`).toString("base64");
      const uploaded = await runner("POST", "/plans", manifest.token, {
        ...dirspace,
        has_changes: true,
        plan,
      });
      expect(uploaded.status).toBeLessThan(300);
    } else {
      expect((await runner("POST", "/apply-started", manifest.token, dirspace)).status).toBeLessThan(300);
    }
  }
  const dirspaces = manifest.dirspaces.map((dirspace) => ({
    ...dirspace,
    success: true,
    steps: [{ name: kind, success: true, exit_code: 0, output: `${kind} of ${dirspace.dir} on GitLab` }],
    summary: { add: 1, change: 0, destroy: 0, import: 0 },
    has_changes: true,
    outputs:
      kind === "apply" ? { endpoint: `https://${dirspace.dir.replace("/", "-")}.gitlab.example` } : null,
  }));
  const reported = await runner("PUT", "", manifest.token, { dirspaces });
  expect(reported.status, await reported.clone().text()).toBeLessThan(300);
  await bed.work();
  return id;
}

/** A finished drift run of the default branch, as the drift schedule leaves one (the scheduler is tested elsewhere). */
async function seedDriftRun(): Promise<void> {
  const db = bed.database.client.db;
  const [repository] = await bed.database.client.sql<{ id: number; installation_id: number }[]>`
    select id, installation_id from repositories where full_name = ${fullName}`;
  const [manifest] = await db
    .insert(workManifests)
    .values({
      installationId: repository!.installation_id,
      repositoryId: repository!.id,
      vcs: "gitlab",
      kind: "drift",
      state: "completed",
      baseRef: "main",
      baseSha: "d".repeat(40),
      headRef: "main",
      headSha: "d".repeat(40),
      requestedBy: "schedule:nightly",
      runId: "555",
      runUrl: `${bed.gitlab.url}/${fullName}/-/pipelines/555`,
      completedAt: new Date(),
    })
    .returning({ id: workManifests.id });
  await db.insert(workManifestDirspaces).values({
    workManifestId: manifest!.id,
    installationId: repository!.installation_id,
    dir: "infra/prod",
    workspace: "default",
    tags: ["dir:infra/prod"],
    state: "success",
    success: true,
    hasChanges: true,
    summary: { add: 0, change: 2, destroy: 0, import: 0 },
    steps: [
      { name: "plan", success: true, exit_code: 2, output: "Plan: 0 to add, 2 to change, 0 to destroy." },
    ],
  });
}

beforeAll(async () => {
  bed = await createGitlabBed();
  const { state } = bed.gitlab;
  const bot = state.addUser("group_acme_bot", { bot: true });
  state.addToken("glpat-routes", bot.username);
  state.addUser("alice");
  const group = state.addGroup("acme");
  group.members.set(bot.id, 50);
  group.members.set(state.user("alice").id, 40);
  groupId = String(group.id);
  const files = {
    ".gitlab-ci.yml": gitlabCiSnippet(bed.url),
    ".terragate/config.yml": config,
    "infra/staging/main.tf": "# staging\n",
    "infra/prod/main.tf": "# prod\n",
  };
  project = state.addProject(fullName, { files });
  state.commit(project, "feature", {
    ...files,
    "infra/staging/main.tf": "# staging, changed\n",
    "infra/prod/main.tf": "# prod, changed\n",
  });

  // Connected through the API as an admin would (the CLI does the same).
  const connected = await call("POST", "/api/v1/gitlab/installations", adminToken, {
    url: bed.gitlab.url,
    group: "acme",
    token: "glpat-routes",
  });
  expect(connected.status, await connected.clone().text()).toBe(201);

  mergeRequest = state.openMergeRequest(project, { iid: 7, author: "alice", sourceBranch: "feature" });
  project.namesPipelines = true;
  const hookProjectOf = () => hookProject({ id: project.id, path_with_namespace: fullName });
  await sendHook(
    "Merge Request Hook",
    mergeRequestHook({ action: "open", iid: 7, project: hookProjectOf(), headSha: mergeRequest.headSha }),
  );
  expect(project.pipelines, JSON.stringify({ logs: bed.logs, notes: mergeRequest.notes })).toHaveLength(1);
  planManifestId = await runPipeline(project.pipelines.at(-1)!, "plan");
  // Refused (prod waits for staging), and a request for help: notes of other kinds.
  for (const body of ["terragate apply dir:infra/prod", "terragate help", "terragate unlock !99"]) {
    const note = state.addNote(mergeRequest, "alice", body);
    await sendHook(
      "Note Hook",
      noteHook({
        body,
        iid: 7,
        noteId: note.id,
        author: "alice",
        authorId: state.user("alice").id,
        project: hookProjectOf(),
      }),
    );
  }
  const note = state.addNote(mergeRequest, "alice", "terragate apply dir:infra/staging");
  await sendHook(
    "Note Hook",
    noteHook({
      body: note.body,
      iid: 7,
      noteId: note.id,
      author: "alice",
      authorId: state.user("alice").id,
      project: hookProjectOf(),
    }),
  );
  expect(project.pipelines).toHaveLength(2);
  applyManifestId = await runPipeline(project.pipelines.at(-1)!, "apply");
  await seedDriftRun();

  const [installation] = await bed.database.client.sql<{ id: number }[]>`
    select id from installations where vcs = 'gitlab' and external_id = ${groupId}`;
  gitlabToken = await tokenFor(installation!.id);
  github = await seedInstallation(bed.database, { vcs: "github", externalId: groupId, login: "bravo" });
  githubToken = await tokenFor(github.id);
});

afterAll(async () => {
  await bed?.close();
});

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

/** One route's GitLab call: its path values, query and body, and what the answer must say. */
interface RouteCheck {
  values?: Record<string, string>;
  query?: string;
  body?: unknown;
  status: number;
  expect: (answer: unknown, text: string) => void;
  /** Runs after the answer was checked (the jobs a write queued). */
  after?: () => Promise<void>;
}

const items = (answer: unknown) => (answer as { items: Record<string, unknown>[] }).items;
const encodedRepo = encodeURIComponent(fullName);

/** Keyed `METHOD TEMPLATE`; the walk below fails for a route missing here. */
const checks: Record<string, () => RouteCheck> = {
  "get /{vcs}/installations": () => ({
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({ id: groupId, vcs: "gitlab", account: "acme", account_type: "Group" }),
      ]),
  }),
  "get /{vcs}/installations/{installation}/repos": () => ({
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({
          external_id: String(project.id),
          full_name: fullName,
          owner: "acme/platform",
          name: "infra",
          default_branch: "main",
        }),
      ]),
  }),
  "post /{vcs}/installations/{installation}/repos/refresh": () => ({
    body: { repo: fullName },
    status: 202,
    expect: (answer) => expect(answer).toEqual({ queued: [fullName] }),
    // The refresh reads the default branch through GitLab's API; the stacks routes answer from it.
    after: () => bed.work(),
  }),
  "get /{vcs}/installations/{installation}/pull-requests": () => ({
    query: `repo=${encodedRepo}&state=open`,
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({
          repo: fullName,
          number: 7,
          state: "open",
          author: "alice",
          head_sha: mergeRequest.headSha,
          base_sha: mergeRequest.baseSha,
        }),
      ]),
  }),
  "get /{vcs}/installations/{installation}/audit": () => ({
    status: 200,
    expect: (answer) => expect(items(answer).map((entry) => entry.action)).toContain("apply"),
  }),
  "get /{vcs}/installations/{installation}/work-manifests": () => ({
    query: `pr=7&repo=${encodedRepo}`,
    status: 200,
    expect: (answer) =>
      // Newest first: the plan of the next stack layer Terragate started after the apply, the apply, the plan.
      expect(
        items(answer).map((item) => [item["id"], item["kind"], item["pull_request"], item["repo"]]),
      ).toEqual([
        [expect.any(String), "plan", 7, fullName],
        [applyManifestId, "apply", 7, fullName],
        [planManifestId, "plan", 7, fullName],
      ]),
  }),
  "get /{vcs}/installations/{installation}/work-manifests/{wm}": () => ({
    values: { wm: applyManifestId },
    status: 200,
    expect: (answer) =>
      expect(answer).toMatchObject({
        id: applyManifestId,
        kind: "apply",
        state: "completed",
        run_id: String(project.pipelines[1]!.id),
        dirspaces: [expect.objectContaining({ dir: "infra/staging", workspace: "default", success: true })],
      }),
  }),
  "get /{vcs}/installations/{installation}/work-manifests/{wm}/outputs": () => ({
    values: { wm: applyManifestId },
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({
          dir: "infra/staging",
          outputs: { endpoint: "https://infra-staging.gitlab.example" },
          steps: [expect.objectContaining({ output: "apply of infra/staging on GitLab" })],
        }),
      ]),
  }),
  "get /{vcs}/installations/{installation}/dirspaces": () => ({
    query: `q=${encodeURIComponent("dir:infra/staging")}`,
    status: 200,
    expect: (answer) =>
      expect(items(answer).map((item) => [item["dir"], item["kind"], item["work_manifest_id"]])).toEqual([
        ["infra/staging", "apply", applyManifestId],
        ["infra/staging", "plan", planManifestId],
      ]),
  }),
  "get /{vcs}/installations/{installation}/locks": () => ({
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({ repo: fullName, dir: "infra/staging", pull_request: 7 }),
      ]),
  }),
  "post /{vcs}/installations/{installation}/locks/unlock": () => ({
    body: { repo: fullName, pull_request: 7 },
    status: 200,
    expect: (answer) =>
      expect(answer).toMatchObject({
        repo: fullName,
        released: [{ dir: "infra/staging", workspace: "default" }],
      }),
  }),
  "get /{vcs}/installations/{installation}/drift": () => ({
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({
          repo: fullName,
          dir: "infra/prod",
          status: "drifted",
          run_url: `${bed.gitlab.url}/${fullName}/-/pipelines/555`,
        }),
      ]),
  }),
  "get /{vcs}/installations/{installation}/repos/{repo}/stacks": () => ({
    values: { repo: fullName },
    status: 200,
    expect: (answer) =>
      expect(answer).toMatchObject({
        repo: fullName,
        default_branch: "main",
        sha: project.branches.get("main"),
        stacks: [
          { name: "staging", dirspaces: ["infra/staging (default)"] },
          { name: "prod", depends_on: ["staging"], dirspaces: ["infra/prod (default)"] },
        ],
        problems: [],
      }),
  }),
  "get /{vcs}/installations/{installation}/repos/{repo}/stacks/graph": () => ({
    values: { repo: fullName },
    status: 200,
    expect: (answer) =>
      expect(answer).toMatchObject({
        edges: [{ from: "infra/staging (default)", to: "infra/prod (default)" }],
      }),
  }),
  "get /{vcs}/installations/{installation}/pull-requests/{number}/stacks": () => ({
    values: { number: "7" },
    status: 200,
    expect: (answer) =>
      expect(answer).toMatchObject({
        repo: fullName,
        number: 7,
        head_sha: mergeRequest.headSha,
        layers: [
          { index: 0, dirspaces: [{ dir: "infra/staging", state: "applied" }] },
          { index: 1, dirspaces: [{ dir: "infra/prod", state: "planned" }] },
        ],
      }),
  }),
  "put /{vcs}/kv/{installation}/key/{key}": () => ({
    values: { key: "gitlab/owner" },
    body: { value: { group: "acme" } },
    status: 200,
    expect: (answer) => expect(answer).toMatchObject({ key: "gitlab/owner", version: 1 }),
  }),
  "get /{vcs}/kv/{installation}/key/{key}": () => ({
    values: { key: "gitlab/owner" },
    status: 200,
    expect: (answer) => expect(answer).toMatchObject({ value: { group: "acme" } }),
  }),
  "put /{vcs}/kv/{installation}/cas/key/{key}": () => ({
    values: { key: "gitlab/owner" },
    body: { value: { group: "acme", cas: true }, version: 1 },
    status: 200,
    expect: (answer) => expect(answer).toMatchObject({ key: "gitlab/owner", version: 2 }),
  }),
  "get /{vcs}/kv/{installation}/iter/{prefix}": () => ({
    values: { prefix: "gitlab" },
    status: 200,
    expect: (answer) =>
      expect(items(answer)).toEqual([
        expect.objectContaining({ key: "gitlab/owner", value: { group: "acme", cas: true } }),
      ]),
  }),
  "get /{vcs}/kv/{installation}/count/{prefix}": () => ({
    values: { prefix: "gitlab" },
    status: 200,
    expect: (answer) => expect(answer).toMatchObject({ count: 1 }),
  }),
  "post /{vcs}/kv/{installation}/commit": () => ({
    body: { ops: [{ op: "set", key: "gitlab/second", value: 2 }] },
    status: 200,
    expect: (answer) => expect(answer).toMatchObject({ results: [{ key: "gitlab/second", version: 1 }] }),
  }),
  "delete /{vcs}/kv/{installation}/key/{key}": () => ({
    values: { key: "gitlab/second" },
    status: 200,
    expect: (answer) => expect(answer).toEqual({ key: "gitlab/second", deleted: true }),
  }),
};

/** The routes of one installation in the order the walk calls them: writes before the reads that see them. */
async function installationRoutes(): Promise<string[]> {
  const doc = (await (await bed.app.request("/api/v1/openapi.json")).json()) as OpenApiDocument;
  const routes = Object.entries(doc.paths)
    .filter(([template]) => template.startsWith("/{vcs}/"))
    .flatMap(([template, operations]) => Object.keys(operations).map((method) => `${method} ${template}`));
  const order = Object.keys(checks);
  return routes.sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function pathOf(route: string, values: Record<string, string>): { method: string; path: string } {
  const [method, template] = route.split(" ") as [string, string];
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${route}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  return { method: method.toUpperCase(), path: `/api/v1${path}` };
}

describe("every installation route for vcs=gitlab", () => {
  it("answers a GitLab installation's token with that installation's data", async () => {
    const routes = await installationRoutes();
    const missing = routes.filter((route) => !(route in checks));
    expect(missing, "routes with no GitLab check in this test: add one for each").toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(checks).length);
    for (const route of routes) {
      const check = checks[route]!();
      const { method, path } = pathOf(route, { vcs: "gitlab", installation: groupId, ...check.values });
      const response = await call(
        method,
        `${path}${check.query ? `?${check.query}` : ""}`,
        gitlabToken,
        check.body,
      );
      const text = await response.text();
      expect(response.status, `${route} → ${text}`).toBe(check.status);
      expect(text, route).not.toMatch(/bravo/i);
      check.expect(text.startsWith("{") ? JSON.parse(text) : text, text);
      await check.after?.();
    }
  });

  it("answers a GitLab token on GitHub's routes, and a GitHub token on GitLab's, with nothing of the other", async () => {
    const routes = (await installationRoutes()).filter((route) => route !== "get /{vcs}/installations");
    const gitlabSecrets = [fullName, planManifestId, applyManifestId, "acme"];
    const crossings = [
      { token: gitlabToken, vcs: "github", foreign: ["bravo", ...github.manifestIds] },
      { token: githubToken, vcs: "gitlab", foreign: gitlabSecrets },
    ];
    for (const { token, vcs, foreign } of crossings) {
      for (const route of routes) {
        const check = checks[route]?.() ?? { status: 404, expect: () => {} };
        const values = {
          vcs,
          installation: groupId,
          repo: "bravo/infra",
          wm: github.manifestIds[0]!,
          ...check.values,
        };
        if (vcs === "gitlab") Object.assign(values, { wm: planManifestId, repo: fullName });
        const { method, path } = pathOf(route, values);
        const response = await call(method, path, token, check.body);
        const text = await response.text();
        expect([response.status, route], text).toEqual([404, route]);
        for (const word of foreign) expect(text, `${route} (${vcs})`).not.toContain(word);
      }
      const listed = await call("GET", `/api/v1/${vcs}/installations`, token);
      expect(listed.status, await listed.clone().text()).toBe(200);
      expect(((await listed.json()) as { items: unknown[] }).items).toEqual([]);
    }
    // Nothing of either changed: the GitHub lock and key are still there.
    const githubLocks = await bed.database.client
      .sql`select 1 from locks where installation_id = ${github.id}`;
    expect(githubLocks).toHaveLength(1);
    const githubKv = await bed.database.client
      .sql`select value from kv_entries where installation_id = ${github.id}`;
    expect(githubKv.map((row) => row["value"])).toEqual([{ login: "bravo" }]);
  });

  it("wrote every note and commit status of that merge request in GitLab's words", () => {
    const bot = bed.gitlab.state.user("group_acme_bot").id;
    const notes = mergeRequest.notes.filter((note) => note.authorId === bot);
    const kinds = notes.map((note) => /<!-- terragate:([\w-]+):/.exec(note.body)?.[1]);
    expect(kinds).toEqual(expect.arrayContaining(["plan", "apply", "refusal", "help", "unlock"]));
    for (const note of notes) expect(githubWordsIn(note.body), note.body).toEqual([]);
    expect(project.statuses.map((status) => status.name)).toEqual(
      expect.arrayContaining([
        "terragate plan: infra/staging (default)",
        "terragate apply: infra/staging (default)",
      ]),
    );
    for (const status of project.statuses) {
      expect(githubWordsIn(`${status.name} ${status.description ?? ""}`), status.name).toEqual([]);
    }
  });
});
