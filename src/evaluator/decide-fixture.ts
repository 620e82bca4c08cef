// Decision inputs for the pure tests of decide: three roots, two of them changed, valid plans for both.
import { parseCommand } from "../domain/command.ts";
import { evaluateRepo } from "../domain/match.ts";
import { RepoConfig } from "../domain/repo-config.ts";
import { buildStackGraph } from "../domain/stack-graph.ts";
import { computeLayers } from "../domain/stack-layers.ts";
import type { PullRequestInfo } from "../vcs/types.ts";
import type { PersonFacts } from "./access.ts";
import type { DecisionInput } from "./decide.ts";

export const pullRequest: PullRequestInfo = {
  number: 42,
  state: "open",
  draft: false,
  title: "t",
  author: "alice",
  baseRef: "main",
  baseSha: "b".repeat(40),
  headRef: "feature",
  headSha: "e4f5a6b".padEnd(40, "0"),
  mergeable: true,
  headRepository: { externalId: "1", fullName: "acme/infra" },
  fromFork: false,
};

export const alice: PersonFacts = { login: "alice", role: "write", teams: new Set() };
export const person = (login: string, role: PersonFacts["role"]): PersonFacts => ({
  login,
  role,
  teams: new Set(),
});

export type Overrides = Omit<Partial<DecisionInput>, "config"> & {
  comment?: string;
  config?: unknown;
  user?: PersonFacts;
};

export function input(overrides: Overrides = {}): DecisionInput {
  const { comment, config: rawConfig, user = alice, ...rest } = overrides;
  const config = RepoConfig.parse(rawConfig ?? {});
  const { dirspaces } = evaluateRepo({
    files: ["infra/a/main.tf", "infra/b/main.tf", "infra/c/main.tf"],
    config,
    changedFiles: ["infra/a/main.tf", "infra/b/main.tf"],
  });
  const command = comment ? parseCommand(comment) : undefined;
  const graph = buildStackGraph({ dirspaces, ordering: config });
  if (!graph.ok) throw new Error("the fixture's config orders dirspaces in a cycle");
  const layers = computeLayers({
    graph: graph.graph,
    changed: dirspaces.filter((dirspace) => dirspace.changed),
    states: new Map(),
  });
  return {
    request:
      command && "tagQuery" in command
        ? {
            kind: "command",
            action: command.kind,
            tagQuery: command.tagQuery,
            tagQueryText: command.tagQueryText,
            user,
          }
        : { kind: "autoplan", author: user },
    pullRequest,
    config,
    defaultBranch: "main",
    dirspaces,
    accessTagsOf: (dirspace) => dirspaces.find((d) => d.dir === dirspace.dir)?.tags ?? [],
    configChanges: [],
    reviews: [],
    statusChecks: [],
    latestPlans: ["infra/a", "infra/b"].map((dir, index) => ({
      planId: index + 1,
      dir,
      workspace: "default",
      baseSha: pullRequest.baseSha,
      headSha: pullRequest.headSha,
      createdAt: new Date(1_000),
    })),
    supersessions: [],
    locksHeldByOthers: [],
    layers,
    appliedAt: new Map(),
    ...rest,
  };
}
