// Sign-in with GitHub: the GitHub App's OAuth client (github.com or GHES /login/oauth/*), the user and their installations.
import type { Logger } from "pino";
import { ProbotOctokit } from "probot";
import { z } from "zod";
import {
  type InstallationAccess,
  type InstallationCandidate,
  OAuthError,
  type OAuthProvider,
  type OAuthTokens,
  type VcsUser,
} from "../oauth.ts";

export interface GithubOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** github.com or the GHES host's web UI: where /login/oauth/* lives. */
  webUrl: string;
  /** The REST API: https://api.github.com or GHES `…/api/v3`. */
  apiUrl: string;
  logger: Logger;
}

/** GitHub answers the token endpoint with 200 and either tokens or an `error`. */
const TokenAnswer = z.union([
  z.object({
    access_token: z.string().min(1),
    expires_in: z.number().optional(),
    refresh_token: z.string().min(1).optional(),
  }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);

const GithubUser = z.object({ id: z.number(), login: z.string(), name: z.string().nullish() });
const UserInstallation = z.object({ id: z.number() });
const OrgMembership = z.object({ state: z.string(), role: z.string() });

/** How many installations' admin checks run at once. */
const adminCheckConcurrency = 8;

function isHttpError(error: unknown): error is Error & { status: number } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === "number";
}

export function createGithubOAuth(options: GithubOAuthOptions): OAuthProvider {
  const web = options.webUrl.replace(/\/+$/, "");

  async function tokenRequest(body: Record<string, string>, what: string): Promise<OAuthTokens> {
    let response: Response;
    try {
      response = await fetch(`${web}/login/oauth/access_token`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify({ client_id: options.clientId, client_secret: options.clientSecret, ...body }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (cause) {
      throw new OAuthError(`GitHub ${what}: ${web} did not answer`, "network", { cause });
    }
    if (response.status >= 500) {
      throw new OAuthError(`GitHub ${what} failed with ${response.status}`, "server");
    }
    const parsed = TokenAnswer.safeParse(await response.json().catch(() => null));
    if (!parsed.success) {
      throw new OAuthError(`GitHub ${what} answered ${response.status} without tokens`, "server");
    }
    const answer = parsed.data;
    if ("error" in answer) {
      const kind = answer.error === "bad_refresh_token" ? "revoked" : "invalid";
      throw new OAuthError(
        `GitHub ${what} was refused: ${answer.error}${answer.error_description ? ` (${answer.error_description})` : ""}`,
        kind,
      );
    }
    return {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token ?? null,
      expiresAt: answer.expires_in ? new Date(Date.now() + answer.expires_in * 1000) : null,
    };
  }

  function octokit(tokens: OAuthTokens) {
    const log = options.logger.child({ name: "github-oauth" });
    return new ProbotOctokit({
      baseUrl: options.apiUrl,
      auth: { token: tokens.accessToken },
      throttle: { enabled: false },
      log: {
        debug: (message: string) => log.debug(message),
        info: (message: string) => log.debug(message),
        warn: (message: string) => log.warn(message),
        error: (message: string) => log.error(message),
      },
    });
  }

  /** Runs an API call as the person; a 401 means their grant is gone. */
  async function asUser<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isHttpError(error)) {
        if (error.status === 401) throw new OAuthError(`GitHub ${what}: the sign-in was revoked`, "revoked");
        throw new OAuthError(
          `GitHub ${what} failed with ${error.status}`,
          error.status >= 500 ? "server" : "invalid",
          { cause: error },
        );
      }
      throw new OAuthError(`GitHub ${what} failed: ${String(error)}`, "network", { cause: error });
    }
  }

  /** Org owners manage an organization's installation; a personal account's installation is its owner's. */
  async function isAdmin(
    client: ReturnType<typeof octokit>,
    user: VcsUser,
    candidate: InstallationCandidate,
  ): Promise<boolean> {
    if (candidate.accountType !== "Organization") {
      return candidate.accountLogin.toLowerCase() === user.login.toLowerCase();
    }
    try {
      const { data } = await client.request("GET /user/memberships/orgs/{org}", {
        org: candidate.accountLogin,
      });
      const membership = OrgMembership.parse(data);
      return membership.state === "active" && membership.role === "admin";
    } catch (error) {
      if (isHttpError(error) && (error.status === 403 || error.status === 404)) return false;
      throw error;
    }
  }

  return {
    vcs: "github",
    authorizeUrl(state, redirectUri) {
      const query = new URLSearchParams({ client_id: options.clientId, redirect_uri: redirectUri, state });
      return `${web}/login/oauth/authorize?${query}`;
    },
    exchangeCode(code, redirectUri) {
      return tokenRequest({ code, redirect_uri: redirectUri }, "sign-in");
    },
    refresh(tokens) {
      if (tokens.refreshToken === null) return Promise.resolve(tokens);
      return tokenRequest(
        { grant_type: "refresh_token", refresh_token: tokens.refreshToken },
        "token refresh",
      );
    },
    async user(tokens) {
      const client = octokit(tokens);
      const { data } = await asUser("user lookup", () => client.request("GET /user"));
      const user = GithubUser.parse(data);
      return { externalId: String(user.id), login: user.login, name: user.name ?? "" };
    },
    async installationAccess(tokens, user, candidates) {
      const client = octokit(tokens);
      const visible = await asUser("installation listing", () =>
        client.paginate("GET /user/installations", { per_page: 100 }, (response) =>
          z.array(UserInstallation).parse(response.data),
        ),
      );
      const matched = await candidates(visible.map((installation) => String(installation.id)));
      const access: InstallationAccess[] = [];
      for (let index = 0; index < matched.length; index += adminCheckConcurrency) {
        const batch = matched.slice(index, index + adminCheckConcurrency);
        const admins = await asUser("organization role lookup", () =>
          Promise.all(batch.map((candidate) => isAdmin(client, user, candidate))),
        );
        batch.forEach((candidate, position) => {
          access.push({ installationId: candidate.id, admin: admins[position] === true });
        });
      }
      return access;
    },
  };
}
