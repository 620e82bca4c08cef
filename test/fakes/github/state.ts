// In-memory state of the fake GitHub: repos, files per commit, PRs, comments, check runs and what was dispatched.
import { createHash, createPublicKey, verify } from "node:crypto";
import { parse } from "yaml";
import { FakeGitObjects, type GitListingLimits, githubListingLimits } from "./git-objects.ts";
import { FakeGithubOAuthState } from "./oauth.ts";

export type FakePermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: "User" | "Bot" };
  /** The GitHub App whose installation token wrote the comment (`performed_via_github_app.id`). */
  appId: number | null;
  reactions: string[];
  createdAt: string;
  updatedAt: string;
}

export interface FakePullRequest {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  draft: boolean;
  title: string;
  user: string;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  /** Set for a PR from a fork: the repository the head branch lives in (null: the fork was deleted). */
  headRepo?: { id: number; fullName: string } | null;
  mergeable: boolean | null;
  /** Changed file paths, in the order GitHub would list them. */
  files: string[];
  reviews: Array<{ id: number; user: string; state: string; commitId: string; submittedAt: string }>;
  comments: FakeComment[];
  mergedWith?: { strategy: string; sha: string | null };
}

export interface FakeCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  /** The GitHub App that created the check run (`app.id`). */
  appId: number | null;
}

export interface FakeDispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  returnRunDetails: boolean;
  runId: number;
  at: number;
}

/** A workflow run: one Terragate dispatched, or any other (a branch's workflow, a push) a test starts. */
export interface FakeWorkflowRun {
  id: number;
  /** owner/name */
  repo: string;
  /** `.github/workflows/<file>` */
  path: string;
  workflowName: string;
  /** `refs/heads/<branch>` */
  ref: string;
  headBranch: string;
  headSha: string;
  event: string;
  inputs: Record<string, string>;
  /** The rendered `run-name:` of the workflow, else its `name:` (GitHub's `display_title`). */
  displayTitle: string;
  runNumber: number;
  actor: string;
  createdAt: string;
  /** The secret a job of this run presents to ask for an OIDC token (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
  idTokenRequestToken: string;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  private: boolean;
  installationId: number;
  /** branch name → commit sha */
  branches: Map<string, string>;
  pulls: Map<number, FakePullRequest>;
  checkRuns: FakeCheckRun[];
  statuses: Map<string, Array<{ context: string; state: string }>>;
  permissions: Map<string, FakePermission>;
  deletedBranches: string[];
  archived: boolean;
  /** Issues (not PRs); their numbers share one sequence with the PRs, as on GitHub. */
  issues: Map<number, FakeIssue>;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  user: string;
  /** The GitHub App that opened it (`performed_via_github_app`), null for a person. */
  appId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
  /** The parsed JSON body, also of requests answered with a planned failure. */
  body?: unknown;
}

/** A planned failure: the next `times` requests matching `method` + `pathPattern` answer `status`. */
export interface FakeFailure {
  method: string;
  pathPattern: RegExp;
  status: number;
  times: number;
  /** For 403/429: answer as a rate limit (x-ratelimit-remaining: 0, retry-after). */
  rateLimit?: boolean;
  /** Handle the request first (record the dispatch, create the run), then answer `status` anyway. */
  afterRecording?: boolean;
}

/** Requests matching `method` + `pathPattern` wait for `released` before they are answered. */
export interface FakeHold {
  method: string;
  pathPattern: RegExp;
  released: Promise<void>;
}

export function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

export class FakeGithubState {
  readonly repos = new Map<string, FakeRepo>();
  /** commit sha → path → content */
  readonly commits = new Map<string, Map<string, string>>();
  /** Tree objects and commit parents (trees listed by sha, merge bases for compare). */
  readonly git = new FakeGitObjects();
  /** GitHub's listing limits; tests lower them to exercise truncation. */
  limits: GitListingLimits = { ...githubListingLimits };
  /** "org/team" → logins */
  readonly teams = new Map<string, Set<string>>();
  readonly dispatches: FakeDispatch[] = [];
  readonly workflowRuns: FakeWorkflowRun[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly failures: FakeFailure[] = [];
  /** The app the credentials belong to (GET /app). */
  app = { id: 1, slug: "terragate-test", name: "Terragate Test" };
  /** Time every request takes before GitHub handles it (0: instant), as a real API round trip does. */
  latencyMs = 0;
  /** Manifest conversion codes (setup flow) → app credentials returned once. */
  readonly manifestCodes = new Map<
    string,
    { id: number; slug: string; pem: string; webhookSecret: string }
  >();
  /**
   * Public keys (PEM) of each app id. While empty, any app JWT is accepted; once an app has keys, its
   * JWTs must be RS256-signed by one of them, as GitHub checks them (deleting a key revokes it).
   */
  readonly appPublicKeys = new Map<string, string[]>();
  /** Sign-in: OAuth clients, people, their tokens (see oauth.ts). */
  readonly oauth = new FakeGithubOAuthState();
  botLogin = "terragate[bot]";
  private nextId = 1000;

  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  /** Whether an `Authorization: Bearer <app JWT>` header would be accepted by GitHub's app endpoints. */
  acceptsAppJwt(authorization: string | undefined): boolean {
    if (this.appPublicKeys.size === 0) return true;
    const [header, payload, signature] = (authorization ?? "").replace(/^bearer /i, "").split(".");
    if (header === undefined || payload === undefined || signature === undefined) return false;
    let issuer: string;
    try {
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown };
      issuer = String(claims.iss);
    } catch {
      return false;
    }
    return (this.appPublicKeys.get(issuer) ?? []).some((key) =>
      verify(
        "RSA-SHA256",
        Buffer.from(`${header}.${payload}`),
        createPublicKey(key),
        Buffer.from(signature, "base64url"),
      ),
    );
  }

  addRepo(input: {
    owner: string;
    name: string;
    installationId: number;
    defaultBranch?: string;
    private?: boolean;
  }): FakeRepo {
    const repo: FakeRepo = {
      id: this.id(),
      owner: input.owner,
      name: input.name,
      defaultBranch: input.defaultBranch ?? "main",
      private: input.private ?? true,
      installationId: input.installationId,
      branches: new Map(),
      pulls: new Map(),
      checkRuns: [],
      statuses: new Map(),
      permissions: new Map(),
      deletedBranches: [],
      archived: false,
      issues: new Map(),
    };
    this.repos.set(`${input.owner}/${input.name}`.toLowerCase(), repo);
    return repo;
  }

  repo(fullName: string): FakeRepo {
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`fake GitHub: no repo ${fullName}; call addRepo first`);
    return repo;
  }

  /** Stores a commit with exactly these files and points `branch` at it; returns its sha. */
  commit(fullName: string, branch: string, files: Record<string, string>): string {
    const repo = this.repo(fullName);
    const sha = fakeSha(`${fullName}:${branch}:${JSON.stringify(files)}:${this.id()}`);
    this.commits.set(sha, new Map(Object.entries(files)));
    // A new branch starts from the default branch's tip, as `git switch -c` on it would.
    this.git.parents.set(sha, repo.branches.get(branch) ?? repo.branches.get(repo.defaultBranch));
    repo.branches.set(branch, sha);
    return sha;
  }

  /** Files of a ref (branch name or sha), or undefined. */
  filesAt(repo: FakeRepo, ref: string): Map<string, string> | undefined {
    const sha = repo.branches.get(ref.replace(/^refs\/heads\//, "")) ?? ref;
    return this.commits.get(sha);
  }

  openPullRequest(
    fullName: string,
    input: {
      number: number;
      author: string;
      base: string;
      head: string;
      files: string[];
      draft?: boolean;
      headRepo?: { id: number; fullName: string } | null;
    },
  ): FakePullRequest {
    const repo = this.repo(fullName);
    const baseSha = repo.branches.get(input.base);
    const headSha = repo.branches.get(input.head);
    if (!baseSha || !headSha)
      throw new Error(`fake GitHub: commit branches ${input.base} and ${input.head} first`);
    const pull: FakePullRequest = {
      number: input.number,
      state: "open",
      merged: false,
      draft: input.draft ?? false,
      title: `PR ${input.number}`,
      user: input.author,
      base: { ref: input.base, sha: baseSha },
      head: { ref: input.head, sha: headSha },
      mergeable: true,
      files: input.files,
      reviews: [],
      comments: [],
      ...(input.headRepo !== undefined ? { headRepo: input.headRepo } : {}),
    };
    repo.pulls.set(input.number, pull);
    return pull;
  }

  pull(fullName: string, number: number): FakePullRequest {
    const pull = this.repo(fullName).pulls.get(number);
    if (!pull) throw new Error(`fake GitHub: no PR #${number} in ${fullName}`);
    return pull;
  }

  approve(fullName: string, number: number, user: string): void {
    this.review(fullName, number, user, "APPROVED");
  }

  /** A review on the PR's current head (GitHub states: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED). */
  review(fullName: string, number: number, user: string, state: string): void {
    const pull = this.pull(fullName, number);
    pull.reviews.push({
      id: this.id(),
      user,
      state,
      commitId: pull.head.sha,
      submittedAt: new Date().toISOString(),
    });
  }

  /** Dismisses a user's reviews, as a maintainer's "Dismiss review" does. */
  dismissReviews(fullName: string, number: number, user: string): void {
    for (const review of this.pull(fullName, number).reviews)
      if (review.user === user && review.state !== "COMMENTED") review.state = "DISMISSED";
  }

  /** Moves a PR's head branch to a new commit with these files changed on top. */
  push(fullName: string, number: number, changed: Record<string, string>): string {
    const pull = this.pull(fullName, number);
    const files = Object.fromEntries(this.commits.get(pull.head.sha) ?? []);
    const sha = this.commit(fullName, pull.head.ref, { ...files, ...changed });
    pull.head.sha = sha;
    pull.files = [...new Set([...pull.files, ...Object.keys(changed)])];
    return sha;
  }

  addTeamMember(org: string, team: string, user: string): void {
    const key = `${org}/${team}`.toLowerCase();
    const members = this.teams.get(key) ?? new Set<string>();
    members.add(user.toLowerCase());
    this.teams.set(key, members);
  }

  /** A comment a person wrote on a PR (the webhook for it is sent separately); returns its id. */
  addUserComment(fullName: string, number: number, author: string, body: string): number {
    const now = new Date().toISOString();
    const comment: FakeComment = {
      id: this.id(),
      body,
      user: { login: author, type: "User" },
      appId: null,
      reactions: [],
      createdAt: now,
      updatedAt: now,
    };
    this.pull(fullName, number).comments.push(comment);
    return comment.id;
  }

  /** A comment another GitHub App's bot wrote (its own login and app id). */
  addOtherBotComment(fullName: string, number: number, login: string, appId: number, body: string): number {
    const now = new Date().toISOString();
    const comment: FakeComment = {
      id: this.id(),
      body,
      user: { login, type: "Bot" },
      appId,
      reactions: [],
      createdAt: now,
      updatedAt: now,
    };
    this.pull(fullName, number).comments.push(comment);
    return comment.id;
  }

  /** Comments on a PR written by the app under test (the bot of the app id the server runs as). */
  botComments(fullName: string, number: number): FakeComment[] {
    return this.pull(fullName, number).comments.filter(
      (comment) => comment.user.type === "Bot" && comment.user.login === this.botLogin,
    );
  }

  /**
   * Starts a workflow run as GitHub would for `event` on `branch` (a dispatch of Terragate's workflow goes
   * through the dispatches route instead). `run-name` and `name` come from the workflow file when it exists.
   */
  startWorkflowRun(
    fullName: string,
    input: {
      workflow: string;
      branch: string;
      event: string;
      inputs?: Record<string, string>;
      actor?: string;
    },
  ): FakeWorkflowRun {
    const repo = this.repo(fullName);
    const headSha = repo.branches.get(input.branch) ?? fakeSha(`${fullName}:${input.branch}`);
    const path = `.github/workflows/${input.workflow}`;
    const title = workflowTitles(this.commits.get(headSha)?.get(path), input.inputs ?? {});
    const run: FakeWorkflowRun = {
      id: this.id(),
      repo: `${repo.owner}/${repo.name}`,
      path,
      workflowName: title.name ?? path,
      ref: `refs/heads/${input.branch}`,
      headBranch: input.branch,
      headSha,
      event: input.event,
      inputs: input.inputs ?? {},
      displayTitle: title.runName ?? title.name ?? path,
      runNumber: this.workflowRuns.filter((r) => r.repo === `${repo.owner}/${repo.name}`).length + 1,
      actor: input.actor ?? "terragate[bot]",
      createdAt: new Date().toISOString(),
      idTokenRequestToken: `ghr_${fakeSha(`request:${this.id()}`).slice(0, 20)}`,
    };
    this.workflowRuns.push(run);
    return run;
  }

  workflowRun(id: number): FakeWorkflowRun {
    const run = this.workflowRuns.find((candidate) => candidate.id === id);
    if (!run) throw new Error(`fake GitHub: no workflow run ${id}`);
    return run;
  }

  fail(failure: FakeFailure): void {
    this.failures.push(failure);
  }

  /** Requests held unanswered until `release()` (a test of what a client asks for at the same time). */
  readonly holds: FakeHold[] = [];

  /** Holds every request matching `method` + `pathPattern` until the returned function is called. */
  hold(method: string, pathPattern: RegExp): () => void {
    const { promise, resolve } = Promise.withResolvers<void>();
    const hold = { method, pathPattern, released: promise };
    this.holds.push(hold);
    return () => {
      const index = this.holds.indexOf(hold);
      if (index >= 0) this.holds.splice(index, 1);
      resolve();
    };
  }

  /** Requests whose path starts with the given prefix (or all), e.g. to count API calls per event. */
  countRequests(filter: (request: RecordedRequest) => boolean = () => true): number {
    return this.requests.filter(filter).length;
  }
}

/** `name:` and the rendered `run-name:` of a workflow file (only `${{ inputs.X }}` expressions are rendered). */
function workflowTitles(
  text: string | undefined,
  inputs: Record<string, string>,
): { name?: string; runName?: string } {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null) return {};
  const file = parsed as Record<string, unknown>;
  const name = typeof file["name"] === "string" ? file["name"] : undefined;
  const template = typeof file["run-name"] === "string" ? file["run-name"] : undefined;
  const runName = template?.replace(
    /\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g,
    (_, key: string) => inputs[key] ?? "",
  );
  return { ...(name === undefined ? {} : { name }), ...(runName === undefined ? {} : { runName }) };
}
