// Route table of the fake GitHub: each handler reads/writes FakeGithubState and answers like the REST API.
import {
  bodyOf,
  invalid,
  notFound,
  paginate,
  R,
  type Route,
  type Schemas,
  withRepo,
} from "./route-helpers.ts";
import { actionsRoutes } from "./routes-actions.ts";
import { issueAndCheckRoutes } from "./routes-checks.ts";
import { gitRoutes } from "./routes-git.ts";
import { issueRoutes } from "./routes-issues.ts";
import { fakeSha } from "./state.ts";

/** The `iss` claim of the app JWT in an Authorization header (not verified: this is a fake). */
function jwtIssuer(authorization: string | undefined): number | null {
  const payload = authorization?.replace(/^bearer\s+/i, "").split(".")[1];
  if (!payload) return null;
  try {
    const iss = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown }).iss;
    return Number.isFinite(Number(iss)) ? Number(iss) : null;
  } catch {
    return null;
  }
}

/** App, repository, contents, tree and pull request routes. */
const repoRoutes: Route[] = [
  {
    method: "POST",
    pattern: /^\/app\/installations\/(\d+)\/access_tokens$/,
    handle: (state, request) => {
      const id = Number(request.params[0]);
      if (!state.acceptsAppJwt(request.authorization)) {
        return {
          status: 401,
          body: {
            message: "A JSON web token could not be decoded",
            documentation_url: "https://docs.github.com/rest",
          },
        };
      }
      const known = [...state.repos.values()].some((repo) => repo.installationId === id);
      if (!known) return notFound();
      // The app is the JWT's issuer; the token names it so that what the token writes is attributed
      // to that app (clients cache tokens across a test's state resets).
      const appId = jwtIssuer(request.authorization) ?? 0;
      const body: Pick<Schemas["installation-token"], "token" | "expires_at"> = {
        token: `ghs_fake_${id}_app${appId}_${fakeSha(`${Date.now()}:${state.id()}`).slice(0, 12)}`,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
      };
      return { status: 201, body };
    },
  },
  {
    method: "GET",
    pattern: /^\/app$/,
    handle: (state, request) => {
      // Only the app's own JWT may ask who the app is; an installation token gets 401, as on GitHub.
      if (!/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(request.authorization ?? "")) {
        return { status: 401, body: { message: "A JSON web token could not be decoded" } };
      }
      const body: Pick<NonNullable<Schemas["integration"]>, "id" | "slug" | "name" | "html_url"> = {
        id: state.app.id,
        slug: state.app.slug,
        name: state.app.name,
        html_url: `https://github.com/apps/${state.app.slug}`,
      };
      return { status: 200, body };
    },
  },
  {
    method: "POST",
    pattern: /^\/app-manifests\/([^/]+)\/conversions$/,
    handle: (state, request) => {
      const app = state.manifestCodes.get(request.params[0] ?? "");
      if (!app) return notFound();
      state.manifestCodes.delete(request.params[0] ?? "");
      return {
        status: 201,
        body: {
          id: app.id,
          slug: app.slug,
          name: app.slug,
          html_url: `https://github.com/apps/${app.slug}`,
          client_id: `Iv1.${app.slug}`,
          client_secret: "fake-client-secret",
          webhook_secret: app.webhookSecret,
          pem: app.pem,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}$`),
    handle: withRepo((repo) => ({
      status: 200,
      body: {
        id: repo.id,
        name: repo.name,
        full_name: `${repo.owner}/${repo.name}`,
        owner: { login: repo.owner },
        default_branch: repo.defaultBranch,
        private: repo.private,
        archived: repo.archived,
      },
    })),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/contents/(.+)$`),
    handle: withRepo((repo, state, request) => {
      const files = state.filesAt(repo, request.query.get("ref") ?? repo.defaultBranch);
      const path = request.params[2] ?? "";
      const content = files?.get(path);
      if (content === undefined) return notFound();
      const body: Pick<
        Schemas["content-file"],
        "type" | "encoding" | "size" | "name" | "path" | "content" | "sha"
      > = {
        type: "file",
        encoding: "base64",
        size: Buffer.byteLength(content),
        name: path.split("/").pop() ?? path,
        path,
        content: Buffer.from(content).toString("base64"),
        sha: fakeSha(content),
      };
      return { status: 200, body };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/pulls/(\\d+)$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      return {
        status: 200,
        body: {
          number: pull.number,
          state: pull.state,
          merged: pull.merged,
          draft: pull.draft,
          title: pull.title,
          user: { login: pull.user, type: "User" },
          base: {
            ref: pull.base.ref,
            sha: pull.base.sha,
            repo: { id: repo.id, full_name: `${repo.owner}/${repo.name}` },
          },
          head: {
            ref: pull.head.ref,
            sha: pull.head.sha,
            repo:
              pull.headRepo === undefined
                ? { id: repo.id, full_name: `${repo.owner}/${repo.name}` }
                : pull.headRepo && { id: pull.headRepo.id, full_name: pull.headRepo.fullName },
          },
          mergeable: pull.mergeable,
          mergeable_state: pull.mergeable === false ? "dirty" : "clean",
          changed_files: pull.files.length,
        } satisfies Partial<Record<keyof Schemas["pull-request"], unknown>>,
      };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/pulls/(\\d+)/files$`),
    handle: withRepo((repo, state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      // GitHub lists at most 3,000 files of a PR, however many pages are asked for.
      const entries: Array<
        Pick<Schemas["diff-entry"], "filename" | "status" | "sha" | "additions" | "deletions" | "changes">
      > = pull.files.slice(0, state.limits.pullFiles).map((filename) => ({
        filename,
        status: "modified",
        sha: fakeSha(filename),
        additions: 1,
        deletions: 0,
        changes: 1,
      }));
      const { page, headers } = paginate(entries, request);
      return { status: 200, body: page, headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/pulls/(\\d+)/reviews$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      const reviews: Array<
        Pick<Schemas["pull-request-review"], "id" | "state" | "commit_id" | "submitted_at"> & {
          user: { login: string };
        }
      > = pull.reviews.map((review) => ({
        id: review.id,
        user: { login: review.user },
        state: review.state,
        commit_id: review.commitId,
        submitted_at: review.submittedAt,
      }));
      const { page, headers } = paginate(reviews, request);
      return { status: 200, body: page, headers };
    }),
  },
  {
    method: "PUT",
    pattern: new RegExp(`^${R}/pulls/(\\d+)/merge$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      if (pull.state !== "open" || pull.mergeable === false) {
        return { status: 405, body: { message: "Pull Request is not mergeable" } };
      }
      const sha = bodyOf(request)["sha"];
      if (typeof sha === "string" && sha !== pull.head.sha) {
        return {
          status: 409,
          body: { message: "Head branch was modified. Review and try the merge again." },
        };
      }
      pull.state = "closed";
      pull.merged = true;
      pull.mergedWith = {
        strategy: String(bodyOf(request)["merge_method"] ?? "merge"),
        sha: typeof sha === "string" ? sha : null,
      };
      const body: Schemas["pull-request-merge-result"] = {
        sha: fakeSha(`merge:${pull.number}`),
        merged: true,
        message: "Pull Request successfully merged",
      };
      return { status: 200, body };
    }),
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^${R}/git/refs/heads/(.+)$`),
    handle: withRepo((repo, _state, request) => {
      const branch = request.params[2] ?? "";
      if (!repo.branches.delete(branch)) return invalid("Reference does not exist");
      repo.deletedBranches.push(branch);
      return { status: 204 };
    }),
  },
];

export const routes: Route[] = [
  ...repoRoutes,
  ...gitRoutes,
  ...issueAndCheckRoutes,
  ...issueRoutes,
  ...actionsRoutes,
];
