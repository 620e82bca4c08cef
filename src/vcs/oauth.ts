// Signing people in through a VCS's OAuth: the interface each adapter implements; no GitHub or GitLab type crosses it.
import type { VcsName } from "./types.ts";

/** A person's OAuth tokens at the VCS. */
export interface OAuthTokens {
  accessToken: string;
  /** Present when the VCS issues expiring tokens (GitHub App user tokens, GitLab). */
  refreshToken: string | null;
  /** When `accessToken` stops working; null when it does not expire. */
  expiresAt: Date | null;
}

export interface VcsUser {
  /** The VCS's numeric user id. */
  externalId: string;
  login: string;
  name: string;
}

/** An installation as the dashboard knows it, for membership checks. */
export interface InstallationCandidate {
  /** Terragate's internal id. */
  id: number;
  externalId: string;
  accountLogin: string;
  /** GitHub: Organization or User; GitLab: group or project. */
  accountType: string;
}

export type CandidateLoader = (externalIds: readonly string[] | null) => Promise<InstallationCandidate[]>;

export interface InstallationAccess {
  installationId: number;
  /** May manage the installation's API keys (org owner, group owner, project maintainer, the account itself). */
  admin: boolean;
}

export const oauthErrorKinds = ["revoked", "denied", "invalid", "server", "network"] as const;
export type OAuthErrorKind = (typeof oauthErrorKinds)[number];

/** A failed OAuth step: `revoked` means the person's grant is gone (sign them out), the rest are transient or bad input. */
export class OAuthError extends Error {
  override name = "OAuthError";
  readonly kind: OAuthErrorKind;
  constructor(message: string, kind: OAuthErrorKind, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** One VCS's sign-in: where to send the browser, how to turn a code into tokens, who the person is, what they may see. */
export interface OAuthProvider {
  readonly vcs: VcsName;
  /** The VCS's authorize page for this state and callback. */
  authorizeUrl(state: string, redirectUri: string): string;
  exchangeCode(code: string, redirectUri: string): Promise<OAuthTokens>;
  /** New tokens from the refresh token; throws OAuthError "revoked" when the grant is gone. */
  refresh(tokens: OAuthTokens): Promise<OAuthTokens>;
  user(tokens: OAuthTokens): Promise<VcsUser>;
  /**
   * Which of Terragate's installations the person belongs to; throws OAuthError "revoked" when the
   * token no longer works. `candidates` loads installations of this VCS: those with the given
   * external ids, or every one when the VCS cannot list a person's installations (null).
   */
  installationAccess(
    tokens: OAuthTokens,
    user: VcsUser,
    candidates: CandidateLoader,
  ): Promise<InstallationAccess[]>;
}
