// Domain benchmark: parse config + discover + match on a 10,000-dirspace monorepo with a 1,000-file PR.
import { discoverDirspaces } from "../src/domain/discover.ts";
import { evaluateRepo } from "../src/domain/match.ts";
import { naiveMatch } from "../src/domain/match-reference.ts";
import { formatConfigProblem, parseRepoConfig } from "../src/domain/parse-repo-config.ts";
import type { RepoConfig } from "../src/domain/repo-config.ts";

const D = "$" + "{DIR}";

/** About twenty lines, the size of config this tool should need for a large monorepo. */
const configText = `version: 1
ignore: ["**/modules/**"]
dirs:
  "teams/*/*":
    tags: [service]
    workspaces:
      staging: { tags: [nonprod] }
      prod: { tags: [prod] }
  "teams/team-00/*":
    tags: [core]
    workspaces: { staging: {}, prod: { tags: [prod] } }
    when_modified: { file_patterns: ["${D}/*.tf", "${D}/*.tfvars", "shared/core/*.tfvars"] }
  teams/team-01/svc-001: { tags: [special], workspaces: { staging: {}, prod: {} } }
when_modified:
  file_patterns: ["${D}/*.tf", "${D}/*.tfvars", "${D}/**/*.tpl", "!${D}/generated.tf", "shared/global.tfvars"]
workflows:
  - tag_query: "prod and not core"
    plan: [{ type: init }, { type: plan, extra_args: ["-lock-timeout=60s"] }]
  - tag_query: ""
`;

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

function generateRepo(): { files: string[]; changedFiles: string[]; roots: number } {
  const files: string[] = ["README.md", "shared/global.tfvars", "shared/core/base.tfvars"];
  const perRoot = [
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "terraform.tfvars",
    "README.md",
    "templates/user-data.tpl",
  ];
  let roots = 0;
  for (let team = 0; team < 50; team++) {
    for (let service = 0; service < 100; service++) {
      const dir = `teams/team-${String(team).padStart(2, "0")}/svc-${String(service).padStart(3, "0")}`;
      for (const name of perRoot) files.push(`${dir}/${name}`);
      roots++;
    }
  }
  for (let module = 0; module < 300; module++) {
    files.push(`modules/m-${module}/main.tf`, `modules/m-${module}/variables.tf`);
  }
  const next = random(42);
  const changed = new Set<string>();
  while (changed.size < 1000) {
    const roll = next();
    const file = files[Math.floor(next() * files.length)]!;
    changed.add(roll < 0.9 ? file : `docs/page-${Math.floor(next() * 5000)}.md`);
  }
  return { files, changedFiles: [...changed], roots };
}

function parseConfig(): RepoConfig {
  const parsed = parseRepoConfig(configText, "bench-config.yml");
  if (!parsed.ok) throw new Error(parsed.problems.map(formatConfigProblem).join("\n"));
  return parsed.config;
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

const mb = (kilobytes: number) => `${(kilobytes / 1024).toFixed(0)} MB`;
const ms = (value: number) => `${value.toFixed(value < 100 ? 2 : 0)} ms`;

export async function run(): Promise<void> {
  const { files, changedFiles, roots } = generateRepo();
  let fastResult: boolean[] = [];
  let naiveResult: boolean[] = [];
  const fast = () => {
    const evaluation = evaluateRepo({ files, config: parseConfig(), changedFiles });
    fastResult = evaluation.dirspaces.map((dirspace) => dirspace.changed);
  };
  const naive = () => {
    naiveResult = naiveMatch(discoverDirspaces(files, parseConfig()).dirspaces, changedFiles);
  };

  for (let i = 0; i < 10; i++) fast();
  const fastSamples = Array.from({ length: 300 }, () => time(fast));
  const fastPeakRss = process.resourceUsage().maxRSS;
  naive();
  const naiveSamples = Array.from({ length: 5 }, () => time(naive));

  const agree =
    fastResult.length === naiveResult.length && fastResult.every((value, i) => value === naiveResult[i]);
  const fastP50 = percentile(fastSamples, 0.5);
  const fastP99 = percentile(fastSamples, 0.99);
  const naiveP50 = percentile(naiveSamples, 0.5);
  const lines = [
    `domain: ${roots} roots, ${fastResult.length} dirspaces, ${files.length} files, ${changedFiles.length} changed files, ${configText.trim().split("\n").length}-line config`,
    `  fast  (parse config + discover + match)  p50 ${ms(fastP50)}  p99 ${ms(fastP99)}  (${fastSamples.length} runs; target p99 < 50 ms)`,
    `  naive (every pattern × every file)       p50 ${ms(naiveP50)}  p99 ${ms(percentile(naiveSamples, 0.99))}  (${naiveSamples.length} runs)`,
    `  ratio naive/fast at p50: ${(naiveP50 / fastP50).toFixed(0)}×`,
    `  changed dirspaces: ${fastResult.filter(Boolean).length}; fast and naive ${agree ? "agree" : "DISAGREE"}`,
    `  peak RSS: ${mb(fastPeakRss)} after the fast runs, ${mb(process.resourceUsage().maxRSS)} after the naive ones`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (!agree) process.exitCode = 1;
}

if (import.meta.main) await run();
