// The VCS registry: every platform by name. Code outside src/vcs asks here, never a platform's folder.

import { githubPlatform } from "./github/index.ts";
import { gitlabPlatform } from "./gitlab/index.ts";
import type { PlatformDeps, ProviderSource, VcsPlatform } from "./platform.ts";
import { type InstallationRef, type Vcs, type VcsProvider, vcsNames } from "./types.ts";

export const platforms: Readonly<Record<Vcs, VcsPlatform>> = {
  github: githubPlatform,
  gitlab: gitlabPlatform,
};

/** Every platform, in the order of `vcsNames`. */
export const platformList: readonly VcsPlatform[] = vcsNames.map((vcs) => platforms[vcs]);

export function platformFor(vcs: Vcs): VcsPlatform {
  return platforms[vcs];
}

/** A provider for one repository of one installation, from whichever VCS the installation is on. */
export type ProviderFor = (
  installation: Pick<InstallationRef, "vcs" | "externalId">,
  owner: string,
  repo: string,
) => Promise<VcsProvider>;

/** One provider source per platform for this process (each keeps its own token caches). */
export function createProviderFor(deps: PlatformDeps): ProviderFor {
  const sources = new Map<Vcs, ProviderSource>();
  return (installation, owner, repo) => {
    let source = sources.get(installation.vcs);
    if (!source) {
      source = platforms[installation.vcs].createProviderSource(deps);
      sources.set(installation.vcs, source);
    }
    return source.providerFor(installation, owner, repo);
  };
}
