// Stacks: the graph from stacks, dirs' depends_on and Terragrunt dependencies; cycles; a PR's layers; JSON and dot.
import { describe, expect, it } from "vitest";
import { index, monorepo } from "../../test/fixtures/module-monorepo.ts";
import { formatDirspace } from "./dirspace.ts";
import { discoverDirspaces } from "./discover.ts";
import { formatConfigProblem, parseRepoConfig } from "./parse-repo-config.ts";
import { RepoConfig } from "./repo-config.ts";
import { buildStackGraph, type StackGraph, type StackGraphInput } from "./stack-graph.ts";
import { stackGraphDot, stackGraphJson } from "./stack-graph-format.ts";
import { computeLayers, type DirspaceRunState } from "./stack-layers.ts";

const liveFiles = [
  "live/vpc/main.tf",
  "live/web/main.tf",
  "live/db/main.tf",
  "live/cdn/main.tf",
  "live/misc/main.tf",
];

const threeStacks = {
  stacks: {
    network: { tag_query: "dir:live/vpc" },
    apps: { tag_query: "dir:live/web or dir:live/db", depends_on: ["network"] },
    edge: { tag_query: "dir:live/cdn", depends_on: ["apps"] },
  },
};

function graphOf(
  config: unknown,
  files = liveFiles,
  moduleIndex?: StackGraphInput["moduleIndex"],
): StackGraph {
  const parsed = RepoConfig.parse(config);
  const { dirspaces } = discoverDirspaces(files, parsed, moduleIndex?.modules);
  const result = buildStackGraph({ dirspaces, ordering: parsed, moduleIndex });
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join("\n"));
  return result.graph;
}

const ds = (dir: string, workspace = "default") => ({ dir, workspace });

/** Layers as lines: `0 current: live/vpc (unplanned)`, `1 waiting: live/web (unplanned) after live/vpc`. */
function layerLines(graph: StackGraph, changed: string[], states: Record<string, DirspaceRunState> = {}) {
  const result = computeLayers({
    graph,
    changed: changed.map((dir) => ds(dir)),
    states: new Map(Object.entries(states).map(([dir, state]) => [`${dir}\0default`, state])),
  });
  const lines = result.layers.map((layer) => {
    const members = layer.dirspaces.map((entry) => `${entry.dirspace.dir} (${entry.state})`).join(", ");
    const after =
      layer.blockedBy.length > 0 ? ` after ${layer.blockedBy.map((ref) => ref.dir).join(", ")}` : "";
    return `${layer.index} ${layer.state}: ${members}${after}`;
  });
  return { lines, current: result.current, toPlan: result.toPlan.map((ref) => ref.dir) };
}

describe("stack layers for a PR", () => {
  const graph = graphOf(threeStacks);

  it("orders three stacks into three layers and plans only the first", () => {
    expect(layerLines(graph, ["live/cdn", "live/web", "live/vpc", "live/misc"])).toEqual({
      lines: [
        "0 current: live/misc (unplanned), live/vpc (unplanned)",
        "1 waiting: live/web (unplanned) after live/vpc",
        "2 waiting: live/cdn (unplanned) after live/vpc, live/web",
      ],
      current: 0,
      toPlan: ["live/misc", "live/vpc"],
    });
  });

  it("moves on as layers are applied, and plans nothing while a layer's plans await apply", () => {
    const changed = ["live/cdn", "live/web", "live/vpc"];
    expect(layerLines(graph, changed, { "live/vpc": "planned" })).toMatchObject({ current: 0, toPlan: [] });
    expect(layerLines(graph, changed, { "live/vpc": "applied" })).toEqual({
      lines: [
        "0 applied: live/vpc (applied)",
        "1 current: live/web (unplanned)",
        "2 waiting: live/cdn (unplanned) after live/web",
      ],
      current: 1,
      toPlan: ["live/web"],
    });
    expect(
      layerLines(graph, changed, { "live/vpc": "applied", "live/web": "applied", "live/cdn": "applied" }),
    ).toMatchObject({ current: null, toPlan: [] });
  });

  it("keeps the order through unchanged dirspaces in between", () => {
    expect(layerLines(graph, ["live/cdn", "live/vpc"]).lines).toEqual([
      "0 current: live/vpc (unplanned)",
      "1 waiting: live/cdn (unplanned) after live/vpc",
    ]);
  });

  it("puts everything in one layer without ordering rules", () => {
    expect(layerLines(graphOf({}), ["live/cdn", "live/vpc"]).lines).toEqual([
      "0 current: live/cdn (unplanned), live/vpc (unplanned)",
    ]);
  });

  it("orders by dirs' depends_on (exact dirs and globs) and says which entries match nothing", () => {
    const config = RepoConfig.parse({
      dirs: {
        "live/web": { depends_on: ["live/vpc", "live/d*"] },
        "live/cdn": { depends_on: ["live/gone"] },
      },
    });
    const { dirspaces } = discoverDirspaces(liveFiles, config);
    const result = buildStackGraph({ dirspaces, ordering: config });
    expect(result.ok && result.warnings).toEqual([
      {
        severity: "warning",
        location: { kind: "config", path: ["dirs", "live/cdn", "depends_on", 0] },
        key: 'dirs."live/cdn".depends_on[0]',
        message: "live/gone matches no dir (a terraform root that is not ignored); it orders nothing",
      },
    ]);
    expect(layerLines(graphOf(config), ["live/web", "live/db", "live/vpc"]).lines).toEqual([
      "0 current: live/db (unplanned), live/vpc (unplanned)",
      "1 waiting: live/web (unplanned) after live/db, live/vpc",
    ]);
  });

  it("orders Terragrunt units by their dependency and dependencies blocks", () => {
    const tg = graphOf({ ignore: [] }, Object.keys(monorepo), index());
    expect(layerLines(tg, ["live/prod/worker", "live/prod/app", "live/prod/vpc", "infra/web"]).lines).toEqual(
      [
        "0 current: infra/web (unplanned), live/prod/vpc (unplanned)",
        "1 waiting: live/prod/app (unplanned) after live/prod/vpc",
        "2 waiting: live/prod/worker (unplanned) after live/prod/app, live/prod/vpc",
      ],
    );
  });

  it("gives each workspace of a dir its own place when stacks select by workspace", () => {
    const config = {
      dirs: { "live/*": { workspaces: { staging: {}, prod: {} } } },
      stacks: {
        staging: { tag_query: "workspace:staging" },
        prod: { tag_query: "workspace:prod", depends_on: ["staging"] },
      },
    };
    const result = computeLayers({
      graph: graphOf(config),
      changed: [ds("live/vpc", "prod"), ds("live/vpc", "staging")],
      states: new Map(),
    });
    expect(
      result.layers.map((layer) => layer.dirspaces.map((entry) => formatDirspace(entry.dirspace))),
    ).toEqual([["live/vpc (staging)"], ["live/vpc (prod)"]]);
  });

  it("reports changed dirspaces the graph does not know instead of dropping them", () => {
    const result = computeLayers({ graph, changed: [ds("live/new")], states: new Map() });
    expect(result.unknown).toEqual([ds("live/new")]);
  });

  it("stays linear on a long chain (no recursion to overflow)", () => {
    const files = Array.from({ length: 5000 }, (_, i) => `chain/d${i}/main.tf`);
    const dirs = Object.fromEntries(
      files.slice(1).map((_, i) => [`chain/d${i + 1}`, { depends_on: [`chain/d${i}`] }]),
    );
    const chain = graphOf({ dirs }, files);
    const result = computeLayers({
      graph: chain,
      changed: [ds("chain/d0"), ds("chain/d4999")],
      states: new Map(),
    });
    expect(result.layers.map((layer) => layer.dirspaces[0]!.dirspace.dir)).toEqual([
      "chain/d0",
      "chain/d4999",
    ]);
  });
});

describe("cycles", () => {
  it("are config errors naming the cycle among stacks, at file:line:col", () => {
    const text = [
      "stacks:",
      "  network:",
      '    tag_query: "dir:live/vpc"',
      "    depends_on: [apps]",
      "  apps:",
      '    tag_query: "dir:live/web"',
      "    depends_on: [network, netwrk]",
    ].join("\n");
    const result = parseRepoConfig(text, ".terragate/config.yml");
    expect(result.ok ? [] : result.problems.map(formatConfigProblem)).toEqual([
      ".terragate/config.yml:7:18: stacks: cycle network → apps → network",
      '.terragate/config.yml:7:27: stacks.apps.depends_on[1]: unknown stack "netwrk"; did you mean network?',
    ]);
  });

  it("name dirs when dirs' depends_on and stacks close a cycle, pointing at the entry that closes it", () => {
    const config = RepoConfig.parse({ ...threeStacks, dirs: { "live/vpc": { depends_on: ["live/cdn"] } } });
    const { dirspaces } = discoverDirspaces(liveFiles, config);
    const result = buildStackGraph({ dirspaces, ordering: config });
    expect(result.ok ? [] : result.problems).toEqual([
      {
        severity: "error",
        location: { kind: "config", path: ["stacks", "edge", "depends_on", 0] },
        key: "stacks",
        message: "cycle live/cdn → live/db → live/vpc → live/cdn",
      },
    ]);
  });

  it("point at the Terragrunt dependency block that closes a cycle", () => {
    const files = {
      "live/a/terragrunt.hcl": 'dependency "b" {\n  config_path = "../b"\n}\n',
      "live/b/terragrunt.hcl": 'dependency "a" {\n  config_path = "../a"\n}\n',
    };
    const config = RepoConfig.parse({});
    const moduleIndex = index(files);
    const { dirspaces } = discoverDirspaces(Object.keys(files), config, moduleIndex.modules);
    const result = buildStackGraph({ dirspaces, ordering: config, moduleIndex });
    expect(result.ok ? [] : result.problems).toEqual([
      {
        severity: "error",
        location: { kind: "file", file: "live/a/terragrunt.hcl", line: 2, column: 17 },
        key: "stacks",
        message: "cycle live/a → live/b → live/a",
      },
    ]);
  });
});

describe("graph output", () => {
  it("lists nodes and dirspace-to-dirspace edges with their reasons, as JSON and dot", () => {
    const config = { ...threeStacks, dirs: { "live/misc": { depends_on: ["live/vpc"] } } };
    const json = stackGraphJson(graphOf(config));
    expect(json.nodes.map((node) => `${node.id} ${node.stack}`)).toEqual([
      "live/cdn (default) edge",
      "live/db (default) apps",
      "live/misc (default) null",
      "live/vpc (default) network",
      "live/web (default) apps",
    ]);
    expect(json.edges).toEqual([
      { from: "live/db (default)", to: "live/cdn (default)", reasons: ["stack edge depends on apps"] },
      { from: "live/vpc (default)", to: "live/db (default)", reasons: ["stack apps depends on network"] },
      { from: "live/vpc (default)", to: "live/misc (default)", reasons: ['dirs."live/misc".depends_on[0]'] },
      { from: "live/vpc (default)", to: "live/web (default)", reasons: ["stack apps depends on network"] },
      { from: "live/web (default)", to: "live/cdn (default)", reasons: ["stack edge depends on apps"] },
    ]);
    const dot = stackGraphDot(json);
    expect(dot).toContain(
      'subgraph "cluster_apps" {\n    label = "apps";\n    "live/db (default)";\n    "live/web (default)";\n  }',
    );
    expect(dot).toContain(
      '"live/vpc (default)" -> "live/misc (default)" [tooltip = "dirs.\\"live/misc\\".depends_on[0]"];',
    );
    expect(dot.startsWith("digraph terragate {")).toBe(true);
  });
});
