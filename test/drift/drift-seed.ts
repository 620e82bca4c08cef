// Repositories whose default-branch snapshot enables drift, written straight to the database (tests and the bench).
import type { Database } from "../../src/db/client.ts";
import { defaultBranchSnapshots, installations, repositories } from "../../src/db/schema/index.ts";
import type { Drift } from "../../src/domain/repo-config.ts";

export interface DriftSeed {
  installationId: number;
  repositoryIds: number[];
}

/** `count` repositories of one installation, each with `dirspaces` dirspaces (every one tagged `prod`). */
export async function seedDriftRepositories(
  db: Database,
  options: {
    count: number;
    dirspaces: number;
    drift: Drift;
    externalId?: string;
    sha?: string;
    owner?: string;
  },
): Promise<DriftSeed> {
  const owner = options.owner ?? "acme";
  const externalId = options.externalId ?? "4242";
  const [installation] = await db
    .insert(installations)
    .values({ vcs: "github", externalId, accountLogin: owner })
    .returning({ id: installations.id });
  const installationId = installation!.id;
  const repositoryIds: number[] = [];
  for (let start = 0; start < options.count; start += 500) {
    const batch = Array.from({ length: Math.min(500, options.count - start) }, (_, offset) => {
      const name = `infra-${start + offset}`;
      return {
        installationId,
        vcs: "github" as const,
        externalId: `${externalId}${100_000 + start + offset}`,
        owner,
        name,
        fullName: `${owner}/${name}`,
      };
    });
    const rows = await db.insert(repositories).values(batch).returning({ id: repositories.id });
    repositoryIds.push(...rows.map((row) => row.id));
  }
  const dirspaces = Array.from({ length: options.dirspaces }, (_, index) => ({
    dir: `stacks/s${index}`,
    workspace: "default",
    tags: ["prod", `dir:stacks/s${index}`, "workspace:default"],
    workflow: { engine: { name: "terraform" } },
    reconcile: false,
  }));
  for (let start = 0; start < repositoryIds.length; start += 500) {
    await db.insert(defaultBranchSnapshots).values(
      repositoryIds.slice(start, start + 500).map((repositoryId) => ({
        repositoryId,
        installationId,
        branch: "main",
        sha: options.sha ?? "a".repeat(40),
        configProblems: [],
        drift: options.drift,
        dirspaces,
      })),
    );
  }
  return { installationId, repositoryIds };
}
