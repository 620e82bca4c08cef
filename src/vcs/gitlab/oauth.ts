// Sign-in with GitLab: an OAuth application on the instance (/oauth/*), the user, and group/project membership.
import { GitbeakerRequestError, GroupMembers, ProjectMembers, Users } from "@gitbeaker/rest";
import { z } from "zod";
import {
  type InstallationAccess,
  type InstallationCandidate,
  OAuthError,
  type OAuthProvider,
  type OAuthTokens,
  type VcsUser,
} from "../oauth.ts";

export interface GitlabOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** The instance, e.g. https://gitlab.com (API under /api/v4, OAuth under /oauth). */
  url: string;
}

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().optional(),
});
const TokenError = z.object({ error: z.string(), error_description: z.string().optional() });
const GitlabUser = z.object({ id: z.number(), username: z.string(), name: z.string().nullish() });
const Member = z.object({ access_level: z.number(), state: z.string().optional() });

/** Guest and above may look; group owners and project maintainers manage API keys. */
const memberLevel = 10;
const groupAdminLevel = 50;
const projectAdminLevel = 40;
const checkConcurrency = 8;

function statusOf(error: unknown): number | undefined {
  if (!(error instanceof GitbeakerRequestError)) return undefined;
  const response = (error.cause as { response?: { status?: number } } | undefined)?.response;
  return response?.status;
}

export function createGitlabOAuth(options: GitlabOAuthOptions): OAuthProvider {
  const base = options.url.replace(/\/+$/, "").replace(/\/api\/v4$/, "");

  async function tokenRequest(body: Record<string, string>, what: string): Promise<OAuthTokens> {
    let response: Response;
    try {
      response = await fetch(`${base}/oauth/token`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify({ client_id: options.clientId, client_secret: options.clientSecret, ...body }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (cause) {
      throw new OAuthError(`GitLab ${what}: ${base} did not answer`, "network", { cause });
    }
    const json: unknown = await response.json().catch(() => null);
    if (response.status >= 500)
      throw new OAuthError(`GitLab ${what} failed with ${response.status}`, "server");
    if (!response.ok) {
      const refused = TokenError.safeParse(json);
      const reason = refused.success
        ? `${refused.data.error}${refused.data.error_description ? ` (${refused.data.error_description})` : ""}`
        : `HTTP ${response.status}`;
      const revoked =
        refused.success && refused.data.error === "invalid_grant" && body["grant_type"] === "refresh_token";
      throw new OAuthError(`GitLab ${what} was refused: ${reason}`, revoked ? "revoked" : "invalid");
    }
    const parsed = TokenAnswer.safeParse(json);
    if (!parsed.success) throw new OAuthError(`GitLab ${what} answered without tokens`, "server");
    return {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token ?? null,
      expiresAt: parsed.data.expires_in ? new Date(Date.now() + parsed.data.expires_in * 1000) : null,
    };
  }

  const settings = (tokens: OAuthTokens) => ({
    host: base,
    oauthToken: tokens.accessToken,
    queryTimeout: 15_000,
  });

  async function asUser<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const status = statusOf(error);
      if (status === 401) throw new OAuthError(`GitLab ${what}: the sign-in was revoked`, "revoked");
      if (status !== undefined) {
        throw new OAuthError(`GitLab ${what} failed with ${status}`, status >= 500 ? "server" : "invalid", {
          cause: error,
        });
      }
      throw new OAuthError(`GitLab ${what} failed: ${String(error)}`, "network", { cause: error });
    }
  }

  /** The person's access level on a group or project, inherited membership included; 0 when none. */
  async function accessLevel(tokens: OAuthTokens, user: VcsUser, candidate: InstallationCandidate) {
    const members =
      candidate.accountType === "project"
        ? new ProjectMembers(settings(tokens))
        : new GroupMembers(settings(tokens));
    try {
      const member = Member.parse(
        await members.show(candidate.externalId, Number(user.externalId), { includeInherited: true }),
      );
      return member.state === undefined || member.state === "active" ? member.access_level : 0;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 403) return 0;
      throw error;
    }
  }

  return {
    vcs: "gitlab",
    authorizeUrl(state, redirectUri) {
      const query = new URLSearchParams({
        client_id: options.clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        state,
        scope: "read_api",
      });
      return `${base}/oauth/authorize?${query}`;
    },
    exchangeCode(code, redirectUri) {
      return tokenRequest({ code, grant_type: "authorization_code", redirect_uri: redirectUri }, "sign-in");
    },
    refresh(tokens) {
      if (tokens.refreshToken === null) return Promise.resolve(tokens);
      return tokenRequest(
        { grant_type: "refresh_token", refresh_token: tokens.refreshToken },
        "token refresh",
      );
    },
    async user(tokens) {
      const user = GitlabUser.parse(
        await asUser("user lookup", () => new Users(settings(tokens)).showCurrentUser()),
      );
      return { externalId: String(user.id), login: user.username, name: user.name ?? "" };
    },
    async installationAccess(tokens, user, candidates) {
      // GitLab cannot list "the groups and projects Terragate is installed on that this person is in"
      // (inherited memberships included) in one call: ask per installation, a few at a time.
      const all = await candidates(null);
      const access: InstallationAccess[] = [];
      for (let index = 0; index < all.length; index += checkConcurrency) {
        const batch = all.slice(index, index + checkConcurrency);
        const levels = await asUser("membership lookup", () =>
          Promise.all(batch.map((candidate) => accessLevel(tokens, user, candidate))),
        );
        batch.forEach((candidate, position) => {
          const level = levels[position] ?? 0;
          if (level < memberLevel) return;
          const adminLevel = candidate.accountType === "project" ? projectAdminLevel : groupAdminLevel;
          access.push({ installationId: candidate.id, admin: level >= adminLevel });
        });
      }
      return access;
    },
  };
}

/** Whether a GitLab user (by their own token) is a member of a group, inherited membership included. */
export async function isGroupMember(
  options: Pick<GitlabOAuthOptions, "url">,
  tokens: OAuthTokens,
  userExternalId: string,
  groupId: string,
): Promise<boolean> {
  const base = options.url.replace(/\/+$/, "").replace(/\/api\/v4$/, "");
  try {
    const member = Member.parse(
      await new GroupMembers({ host: base, oauthToken: tokens.accessToken }).show(
        groupId,
        Number(userExternalId),
        { includeInherited: true },
      ),
    );
    return (member.state === undefined || member.state === "active") && member.access_level >= memberLevel;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 403) return false;
    if (status === 401) throw new OAuthError("GitLab membership lookup: the sign-in was revoked", "revoked");
    throw new OAuthError(`GitLab membership lookup failed: ${String(error)}`, status ? "server" : "network", {
      cause: error,
    });
  }
}
