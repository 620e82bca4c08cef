// Stacks benchmark: the module index of 5,000 roots and 2,000 modules (cold and cached), and a PR's layers in a 1,000-node stack graph.

import { dirspaceKey } from "../src/domain/dirspace.ts";
import type { DiscoveredDirspace } from "../src/domain/discover.ts";
import { createChangeMatcher, evaluateRepo } from "../src/domain/match.ts";
import { createModuleChangeFinder } from "../src/domain/module-changes.ts";
import { buildModuleIndex, type ModuleIndex, summarizeFiles } from "../src/domain/module-index/build.ts";
import { createModuleIndexCache } from "../src/domain/module-index/cache.ts";
import { naiveAffectedRoots } from "../src/domain/module-index/reference.ts";
import { RepoConfig } from "../src/domain/repo-config.ts";
import { buildStackGraph } from "../src/domain/stack-graph.ts";
import { computeLayers, type DirspaceRunState } from "../src/domain/stack-layers.ts";
import { naiveLayers } from "../src/domain/stack-reference.ts";
import { ModuleIndexStore } from "../src/evaluator/module-index-loader.ts";
import type { VcsProvider } from "../src/vcs/types.ts";

/** A deterministic generator so every run measures the same tree. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const moduleCount = 2000;
const pad = (n: number, width: number) => String(n).padStart(width, "0");
const moduleDir = (n: number) => `modules/m-${pad(n, 4)}`;

function moduleBlock(name: string, source: string): string {
  return `module "${name}" {
  source = "${source}"
  name   = "\${var.name}-${name}"
  tags   = merge(var.tags, { Component = "${name}" })
}
`;
}

/** About 40 lines of realistic terraform: resources, locals, a heredoc, a for expression, dynamic blocks. */
function body(name: string): string {
  return `locals {
  prefix = "\${var.name}-${name}"
  ports  = { for index, port in var.ports : "p\${index}" => port if port > 0 }
}

resource "terraform_data" "${name}" {
  input = {
    name  = local.prefix
    count = length(var.ports) > 0 ? length(var.ports) : null
  }
  lifecycle {
    ignore_changes = [input["count"]]
  }
}

resource "terraform_data" "policy" {
  input = <<-EOT
    {"Statement": [{"Effect": "Allow", "Resource": "\${local.prefix}/*"}]}
  EOT
  dynamic "trigger" {
    for_each = local.ports
    content {
      port = trigger.value
    }
  }
}
`;
}

const variables = `variable "name" {
  type    = string
  default = "bench"
}
variable "tags" {
  type    = map(string)
  default = {}
}
variable "ports" {
  type    = list(number)
  default = [80, 443]
}
`;

const outputs = 'output "id" {\n  value = terraform_data.policy.id\n}\n';

interface Tree {
  files: string[];
  contents: Map<string, string>;
  changedFiles: string[];
}

function generateTree(): Tree {
  const next = random(14);
  const contents = new Map<string, string>();
  for (let m = 0; m < moduleCount; m++) {
    // Three levels, as module libraries nest: 1,000 leaves, 700 modules built on leaves, 300 on those.
    const [low, high] = m < 1000 ? [0, 0] : m < 1700 ? [0, 1000] : [1000, 1700];
    const pick = () => low + Math.floor(next() * (high - low));
    const uses = high === 0 ? [] : [pick(), pick()].slice(0, 1 + Math.floor(next() * 2));
    const blocks = [...new Set(uses)]
      .map((used) => moduleBlock(`m${used}`, `../m-${pad(used, 4)}`))
      .join("\n");
    contents.set(`${moduleDir(m)}/main.tf`, `${blocks}\n${body(`m${m}`)}`);
    contents.set(`${moduleDir(m)}/variables.tf`, variables);
    contents.set(`${moduleDir(m)}/outputs.tf`, outputs);
  }
  for (let team = 0; team < 50; team++) {
    for (let service = 0; service < 100; service++) {
      const dir = `live/team-${pad(team, 2)}/svc-${pad(service, 3)}`;
      const used = [1000 + Math.floor(next() * 1000), Math.floor(next() * moduleCount)];
      const blocks = [...new Set(used)]
        .map((m) => moduleBlock(`m${m}`, `../../../${moduleDir(m)}`))
        .join("\n");
      contents.set(`${dir}/main.tf`, `${blocks}\n${body("root")}`);
      contents.set(`${dir}/providers.tf`, 'terraform {\n  required_version = ">= 1.5"\n}\n');
      contents.set(`${dir}/variables.tf`, variables);
      contents.set(`${dir}/outputs.tf`, outputs);
    }
  }
  const files = [
    ...contents.keys(),
    ...[...contents.keys()]
      .filter((path) => path.endsWith("/main.tf"))
      .map((path) => path.replace("main.tf", "README.md")),
  ];
  const changedFiles = [
    ...Array.from({ length: 20 }, () => `${moduleDir(Math.floor(next() * moduleCount))}/main.tf`),
    ...Array.from(
      { length: 30 },
      () => `live/team-${pad(Math.floor(next() * 50), 2)}/svc-${pad(Math.floor(next() * 100), 3)}/main.tf`,
    ),
  ];
  return { files, contents, changedFiles };
}

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const ms = (value: number) => `${value.toFixed(value < 100 ? 2 : 0)} ms`;
const stats = (samples: number[]) =>
  `p50 ${ms(percentile(samples, 0.5))}  p99 ${ms(percentile(samples, 0.99))}  (${samples.length} runs)`;

const config = RepoConfig.parse({ ignore: [] });
const changedDirs = (dirspaces: readonly { dir: string; changed: boolean }[]) =>
  dirspaces
    .filter((dirspace) => dirspace.changed)
    .map((dirspace) => dirspace.dir)
    .sort();

function moduleIndexBench(): string[] {
  const tree = generateTree();
  const bytes = [...tree.contents.values()].reduce((sum, text) => sum + text.length, 0);
  let fastChanged: string[] = [];
  let index: ModuleIndex | undefined;
  const cold = () => {
    index = buildModuleIndex({ files: tree.files, summaries: summarizeFiles(tree.contents) });
    fastChanged = changedDirs(
      evaluateRepo({ files: tree.files, config, changedFiles: tree.changedFiles, moduleIndex: index })
        .dirspaces,
    );
  };
  const coldSamples = Array.from({ length: 7 }, () => time(cold));
  const cache = createModuleIndexCache();
  cache.build(
    "head",
    tree.files,
    (path) => path,
    (path) => tree.contents.get(path)!,
  );
  const cached = () => {
    const hit = cache.get("head")!;
    fastChanged = changedDirs(
      evaluateRepo({ files: tree.files, config, changedFiles: tree.changedFiles, moduleIndex: hit })
        .dirspaces,
    );
  };
  for (let i = 0; i < 10; i++) cached();
  const cachedSamples = Array.from({ length: 200 }, () => time(cached));
  // The module part alone: the cached index, the changed modules and their users, for every root.
  const roots = evaluateRepo({ files: tree.files, config, changedFiles: [], moduleIndex: index! }).dirspaces;
  const matcher = createChangeMatcher(tree.changedFiles);
  const moduleOnly = () => {
    const find = createModuleChangeFinder(cache.get("head")!, matcher, tree.changedFiles);
    for (const dirspace of roots) find(dirspace);
  };
  for (let i = 0; i < 10; i++) moduleOnly();
  const moduleSamples = Array.from({ length: 200 }, () => time(moduleOnly));
  // What a PR evaluation adds with the head's index cached: affected dirspaces, their graph and layers.
  const evaluatorStep = () => {
    const hit = cache.get("head")!;
    const evaluation = evaluateRepo({
      files: tree.files,
      config,
      changedFiles: tree.changedFiles,
      moduleIndex: hit,
    });
    const built = buildStackGraph({ dirspaces: evaluation.dirspaces, ordering: config, moduleIndex: hit });
    if (!built.ok) throw new Error("benchmark graph has a cycle");
    const changed = evaluation.dirspaces.filter((dirspace) => dirspace.changed);
    computeLayers({ graph: built.graph, changed, states: new Map() });
  };
  for (let i = 0; i < 10; i++) evaluatorStep();
  const evaluatorSamples = Array.from({ length: 200 }, () => time(evaluatorStep));
  let naiveChanged: string[] = [];
  const naive = () => {
    naiveChanged = naiveAffectedRoots(tree.files, tree.contents, tree.changedFiles);
  };
  const naiveSamples = Array.from({ length: 2 }, () => time(naive));
  const agree = JSON.stringify(fastChanged) === JSON.stringify(naiveChanged);
  if (!agree) process.exitCode = 1;
  const p50 = (samples: number[]) => percentile(samples, 0.5);
  return [
    `module index: 5000 roots, ${moduleCount} modules, ${tree.contents.size} .tf files (${(bytes / 1e6).toFixed(1)} MB), ${index!.modules.size} modules found, PR of ${tree.changedFiles.length} files`,
    `  cold   (parse + index + affected)        ${stats(coldSamples)}  target < 2 s`,
    `  cached (commit hit + affected)           ${stats(cachedSamples)}  target < 50 ms (includes discovering the 5000 roots)`,
    `  cached, module part only                 ${stats(moduleSamples)}`,
    `  evaluator step (cached + graph + layers) ${stats(evaluatorSamples)}  what each PR evaluation adds`,
    `  naive  (each root loads its module tree)  ${stats(naiveSamples)}`,
    `  ratio naive/cold at p50: ${(p50(naiveSamples) / p50(coldSamples)).toFixed(1)}×; naive/cached: ${(p50(naiveSamples) / p50(cachedSamples)).toFixed(0)}×`,
    `  changed roots: ${fastChanged.length}; fast and naive ${agree ? "agree" : "DISAGREE"}`,
  ];
}

/**
 * The worker's store through a VCS (an in-memory one: timings leave out the network, reads are
 * counted): a commit's first index reads every file; each later commit (a default-branch push, a PR
 * head) changing one file reads that file alone, against re-reading the whole tree every time.
 */
async function storeBench(): Promise<string[]> {
  const tree = generateTree();
  const commits = new Map<string, Map<string, string>>();
  let reads = 0;
  const provider = {
    vcs: "github",
    repoFullName: "acme/monorepo",
    async getFile(path: string, sha: string) {
      reads++;
      return commits.get(sha)?.get(path) ?? null;
    },
  } as unknown as VcsProvider;
  /** Blob sha = content here, as git's is a hash of it. */
  const blobsOf = (contents: Map<string, string>) =>
    new Map(tree.files.map((path) => [path, contents.get(path) ?? ""]));
  const store = new ModuleIndexStore();
  commits.set("c0", tree.contents);
  const coldStart = performance.now();
  await store.load(provider, "c0", blobsOf(tree.contents));
  const cold = performance.now() - coldStart;
  const coldReads = reads;
  const paths = [...tree.contents.keys()];
  const next = random(3);
  const samples: number[] = [];
  const readsPerCommit: number[] = [];
  let contents = tree.contents;
  for (let n = 1; n <= 30; n++) {
    contents = new Map(contents);
    const changed = paths[Math.floor(next() * paths.length)]!;
    contents.set(changed, `${contents.get(changed)}\n# commit ${n}\n`);
    commits.set(`c${n}`, contents);
    const blobs = blobsOf(contents);
    const before = reads;
    const start = performance.now();
    await store.load(provider, `c${n}`, blobs);
    samples.push(performance.now() - start);
    readsPerCommit.push(reads - before);
  }
  return [
    `module-index store through a VCS: ${tree.contents.size} .tf files; 30 commits after the first, each changing one file`,
    `  first commit                   ${ms(cold)}, ${coldReads} files read (one per distinct content)`,
    `  next commit (one file changed) ${stats(samples)}, files read per commit: ${Math.min(...readsPerCommit)}–${Math.max(...readsPerCommit)} (re-reading the tree: ${tree.contents.size})`,
  ];
}

function stackGraphBench(): string[] {
  const next = random(7);
  const tiers = 10;
  const dirspaces: Pick<DiscoveredDirspace, "dir" | "workspace" | "tags">[] = [];
  for (let tier = 0; tier < tiers; tier++) {
    for (let i = 0; i < 100; i++) {
      const dir = `tier-${tier}/d-${pad(i, 3)}`;
      dirspaces.push({ dir, workspace: "default", tags: [`dir:${dir}`, "workspace:default"] });
    }
  }
  const dirs: Record<string, { depends_on: string[] }> = {};
  for (let i = 0; i < 300; i++) {
    const tier = 1 + Math.floor(next() * (tiers - 1));
    const dependency = `tier-${Math.floor(next() * tier)}/d-${pad(Math.floor(next() * 100), 3)}`;
    const dir = `tier-${tier}/d-${pad(Math.floor(next() * 100), 3)}`;
    dirs[dir] = { depends_on: [...(dirs[dir]?.depends_on ?? []), dependency] };
  }
  // Half the tiers are stacks chained one after another; the others are ordered by dirs' depends_on only.
  const stacks = Object.fromEntries(
    Array.from({ length: tiers / 2 }, (_, k) => [
      `tier${k}`,
      { tag_query: `tier-${k} in dir`, depends_on: k === 0 ? [] : [`tier${k - 1}`] },
    ]),
  );
  const ordering = RepoConfig.parse({ stacks, dirs });
  const changed = [...dirspaces].sort(() => next() - 0.5).slice(0, 200);
  const states = new Map<string, DirspaceRunState>(
    changed.map((dirspace) => [
      dirspaceKey(dirspace),
      (["unplanned", "planned", "applied"] as const)[Math.floor(next() * 3)]!,
    ]),
  );
  let layers: string[] = [];
  const evaluate = () => {
    const built = buildStackGraph({ dirspaces, ordering });
    if (!built.ok) throw new Error("benchmark graph has a cycle");
    const result = computeLayers({ graph: built.graph, changed, states });
    layers = result.layers.map((layer) =>
      layer.dirspaces.map((entry) => `${entry.dirspace.dir}<${entry.blockedBy.length}`).join(","),
    );
  };
  for (let i = 0; i < 20; i++) evaluate();
  const samples = Array.from({ length: 300 }, () => time(evaluate));
  const built = buildStackGraph({ dirspaces, ordering });
  const graph = built.ok ? built.graph : undefined;
  const layersOnly = Array.from({ length: 300 }, () =>
    time(() => computeLayers({ graph: graph!, changed, states })),
  );
  let naive: string[] = [];
  const naiveSamples = Array.from({ length: 2 }, () =>
    time(() => {
      naive = naiveLayers(dirspaces, ordering, changed, states);
    }),
  );
  const agree = JSON.stringify(layers) === JSON.stringify(naive);
  if (!agree) process.exitCode = 1;
  return [
    `stack graph: ${dirspaces.length} dirspaces, ${Object.keys(stacks).length} chained stacks, 300 dirs' depends_on, PR touching ${changed.length} dirspaces (${layers.length} layers)`,
    `  build graph + layers   ${stats(samples)}  target p99 < 50 ms`,
    `  layers only            ${stats(layersOnly)}`,
    `  naive (relaxation over expanded edges, BFS per dirspace)  ${stats(naiveSamples)}`,
    `  ratio naive/fast at p50: ${(percentile(naiveSamples, 0.5) / percentile(samples, 0.5)).toFixed(0)}×; fast and naive ${agree ? "agree" : "DISAGREE"}`,
  ];
}

export async function run(): Promise<void> {
  const lines = [...moduleIndexBench(), ...(await storeBench()), ...stackGraphBench()];
  lines.push(`  peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (import.meta.main) await run();
