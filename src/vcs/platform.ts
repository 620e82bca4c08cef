// One VCS as the rest of Terragate sees it: intake routes, events, providers, runner auth, links, limits, words.
import type { Hono } from "hono";
import type { Logger } from "pino";
import type { AppDeps } from "../api/app.ts";
import type { Config } from "../config/env.ts";
import type { OidcOptions } from "../crypto/work-token.ts";
import type { Database, DatabaseClient } from "../db/client.ts";
import type { OAuthProvider } from "./oauth.ts";
import type { InstallationRef, Vcs, VcsEvent, VcsProvider } from "./types.ts";

/** What a platform's factories receive: the same dependencies as jobs and route factories. */
export interface PlatformDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
}

/** Builds a provider per installation and repository; one source per process keeps its token caches. */
export interface ProviderSource {
  providerFor(
    installation: Pick<InstallationRef, "externalId">,
    owner: string,
    repo: string,
  ): Promise<VcsProvider>;
}

/** What normalizing needs to know of a stored delivery besides its event name and payload. */
export interface StoredDeliveryRef {
  installationExternalId: string | null;
}

/** A provider for the repository of an event's installation. */
export type EventProviderFor = (
  installation: InstallationRef,
  owner: string,
  repo: string,
) => Promise<VcsProvider>;

/** What completing an event may use: providers, and the database (installation state). */
export interface EventContext {
  providerFor: EventProviderFor;
  database: DatabaseClient;
}

/** The sizes a VCS accepts and how it shows results, in characters. */
export interface VcsLimits {
  /** Largest comment (GitHub) or note (GitLab) body. */
  comment: number;
  /** Largest per-dirspace status body: a check run's `output.summary`. */
  statusSummary: number;
  /** Largest per-dirspace status detail: a check run's `output.text`. */
  statusText: number;
  /** Above this many dirspaces a manifest reports one aggregate status (the VCS's rate limits). */
  statusesPerManifest: number;
  /** Check runs (with text, re-run buttons and external ids) or plain commit statuses. */
  statusKind: "check_run" | "commit_status";
}

/** The words people see: GitHub's pull requests are GitLab's merge requests. */
export interface VcsWords {
  /** "pull request" or "merge request". */
  changeRequest: string;
  /** "PR" or "MR". */
  changeRequestShort: string;
  /** How a change request is referred to in text: `#42` or `!42`. */
  reference(number: number): string;
  /** What a CI run is called: "CI run" (a GitHub workflow run) or "pipeline". */
  ciRun: string;
  /** What to check when a run never reported: the workflow running the action, or the pipeline including the component. */
  runnerSetup: string;
}

/** What Terragate knows about the run it dispatched for a work manifest. */
export interface DispatchedRun {
  /** The VCS's repository (project) id. */
  repositoryId: string;
  /** `owner/name` of the repository. */
  fullName: string;
  defaultBranch: string;
  /** The run id the VCS returned for the dispatch; null when it did not say. */
  runId: string | null;
}

/** Whether a verified OIDC token's claims prove its bearer is the dispatched run. */
export interface RunnerIdentity {
  /** The token's run id, to record as the manifest's run. */
  runId: string | null;
  /** Each claim that does not match, said so a person reading the CI log knows what is wrong. */
  problems: string[];
}

export interface RunnerAuth {
  /**
   * Where the CI's OIDC tokens come from for a run on the instance at `webUrl` (VcsLinks.instanceUrl
   * of the manifest's installation: each GitLab installation names its own); the audience is this
   * server's public URL.
   */
  oidc(config: Config, webUrl: string): OidcOptions;
  identity(claims: Record<string, unknown>, run: DispatchedRun): RunnerIdentity;
}

export interface VcsLinks {
  /** The VCS's server-wide web base URL (GitHub.com, GitHub Enterprise Server, GITLAB_URL). */
  webUrl(config: Config): string;
  /**
   * The web base URL of the instance an installation lives on: the server-wide one on GitHub, the
   * instance a GitLab group or project was connected on (`--url`, a self-managed GitLab) on GitLab.
   */
  instanceUrl(deps: { config: Config; database: { db: Database } }, installationId: number): Promise<string>;
  /** The CI run's page built from its id, when the dispatch did not tell its URL. */
  ciRunUrl(config: Config, repoFullName: string, runId: string): string;
  /** The stable "Details" link of a manifest's statuses, served by this VCS's routes. */
  runLink(publicUrl: string, manifestId: string): string;
}

/** The CI definition Terragate starts for a manifest. */
export interface VcsDispatch {
  /** The workflow (pipeline) file name dispatched, e.g. `terragate.yml`. */
  workflowFile: string;
  /** Where that file lives in the repository, for messages: `.github/workflows/terragate.yml`. */
  workflowPath: string;
  /** The title of the run dispatched for a manifest: a retry finds the run an earlier attempt created by it. */
  runTitle(manifestId: string): string;
  /** The whole CI file a repository adds (the README's), with this server's URL pinned in it. */
  snippet(serverUrl: string): string;
}

/** The server-wide app a VCS needs (the GitHub App), as the status page shows it. */
export interface ServerAppStatus {
  id: string;
  /** null when the VCS could not be asked (then `note` says why). */
  name: string | null;
  source: "env" | "database";
  note?: string;
}

export interface ServerApp {
  /** Whether one is configured, without asking the VCS anything; throws when the stored one cannot be read. */
  configured(): Promise<boolean>;
  /** null when none is configured yet; throws when the stored one cannot be read. */
  status(): Promise<ServerAppStatus | null>;
}

export interface VcsPlatform {
  readonly vcs: Vcs;
  /** How the status page and messages name the VCS: "GitHub", "GitLab". */
  readonly title: string;
  readonly words: VcsWords;
  readonly limits: VcsLimits;
  readonly links: VcsLinks;
  readonly dispatch: VcsDispatch;
  readonly runnerAuth: RunnerAuth;
  /** Mounts this VCS's HTTP routes (webhook intake, run links, set-up pages) on the server's app. */
  mountRoutes(app: Hono, deps: AppDeps): void;
  /**
   * A stored delivery as a normalized event; throws UnsupportedEventError for what Terragate does not act on.
   * `delivery.installationExternalId` is the installation intake stored it for (GitLab hooks do not name it).
   */
  normalizeEvent(event: string, payload: unknown, delivery: StoredDeliveryRef): VcsEvent;
  /**
   * Reads what the event's payload lacks from the VCS (GitLab's Merge Request Hook carries neither the
   * base sha nor the author's username); the event itself when it has everything.
   */
  completeEvent(event: VcsEvent, context: EventContext): Promise<VcsEvent>;
  createProviderSource(deps: PlatformDeps): ProviderSource;
  /** The dashboard's sign-in through this VCS; resolves to null while none is configured. */
  createSignIn(deps: PlatformDeps): () => Promise<OAuthProvider | null>;
  /** The server-wide app; null for a VCS that needs none. */
  createServerApp(deps: PlatformDeps): ServerApp | null;
}
