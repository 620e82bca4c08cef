// The CI side of each VCS, for the runner: how a run proves itself and where a PR's head is published.
// Kept apart from the registry so the runner (and the action's bundle) loads no server code.
import type { RunnerConfig } from "../config/env.ts";
import { githubCi } from "./github/ci.ts";
import { gitlabCi } from "./gitlab/ci.ts";
import type { Vcs } from "./types.ts";

export interface CiPlatform {
  readonly vcs: Vcs;
  /** The ref under which a PR's head is published, reachable even when the PR comes from a fork. */
  pullRequestRef(number: number): string;
  /** Mints an OIDC token for this server when the CI job can (GitHub: `id-token: write`); undefined when it cannot. */
  oidcToken(config: RunnerConfig): (() => Promise<string>) | undefined;
}

export const ciPlatforms: Readonly<Record<Vcs, CiPlatform>> = { github: githubCi, gitlab: gitlabCi };
