// `terragate config validate --changed` with modules and stacks, and `terragate config graph`, on a checkout on disk.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monorepo } from "../../test/fixtures/module-monorepo.ts";
import { terragateBin } from "../../test/harness/cli-entry.ts";
import { parseGraphArgs } from "./config-graph.ts";

function terragate(...args: string[]) {
  const result = spawnSync(process.execPath, [terragateBin, ...args], { encoding: "utf8", timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function checkout(files: Record<string, string>): string {
  const repo = mkdtempSync(join(tmpdir(), "terragate-graph-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  return repo;
}

const stacksConfig = `version: 1
ignore: []
stacks:
  network:
    tag_query: "dir:infra/vpc or dir:live/prod/vpc"
  apps:
    tag_query: "dir:infra/web or dir:infra/db"
    depends_on: [network]
dirs:
  infra/dns:
    depends_on: [infra/web]
`;

describe("terragate config validate and graph with modules and stacks", () => {
  let repo: string;
  const made: string[] = [];

  beforeAll(() => {
    repo = checkout({
      ...monorepo,
      ".terragate/config.yml": stacksConfig,
      "infra/broken/main.tf": "locals {\n",
    });
    made.push(repo);
  });

  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it("--json gives each dirspace its layer and the reasons it is included", () => {
    const result = terragate(
      "config",
      "validate",
      "--repo",
      repo,
      "--json",
      "--changed",
      "modules/cidr/main.tf",
      "infra/dns/main.tf",
    );
    expect(result.code).toBe(0);
    const dirspaces = (
      JSON.parse(result.stdout) as { dirspaces: { dir: string; layer: number | null; reasons: string[] }[] }
    ).dirspaces;
    const changed = dirspaces
      .filter((dirspace) => dirspace.layer !== null)
      .map(({ dir, layer, reasons }) => ({ dir, layer, reasons }));
    expect(changed).toEqual([
      { dir: "infra/db", layer: 2, reasons: ["uses modules/cidr, changed"] },
      { dir: "infra/dns", layer: 3, reasons: ["infra/dns/main.tf changed"] },
      {
        dir: "infra/vpc",
        layer: 1,
        reasons: ["uses modules/cidr (through modules/network → modules/network/subnets), changed"],
      },
      {
        dir: "infra/web",
        layer: 2,
        reasons: [
          "uses modules/cidr (through modules/app → modules/network → modules/network/subnets), changed",
        ],
      },
      {
        dir: "live/prod/app",
        layer: 2,
        reasons: [
          "uses modules/cidr (through modules/app → modules/network → modules/network/subnets), changed",
        ],
      },
      {
        dir: "live/prod/vpc",
        layer: 1,
        reasons: ["uses modules/cidr (through modules/network → modules/network/subnets), changed"],
      },
    ]);
    expect(dirspaces.map((dirspace) => dirspace.dir)).not.toContain("modules/cidr");
    expect(result.stderr).toContain(
      `${repo}/infra/broken/main.tf:1:8: warning: cannot parse: this block is not closed with }`,
    );
  });

  it("shows the layers in order with why each dirspace is in it", () => {
    const result = terragate(
      "config",
      "validate",
      "--repo",
      repo,
      "--changed",
      "live/_envcommon/app.hcl",
      "live/prod/vpc/terragrunt.hcl",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      [
        "Layer 1 (planned first):",
        "  live/prod/vpc (default): live/prod/vpc/terragrunt.hcl changed",
        "Layer 2 (planned once layer 1 is applied):",
        "  live/prod/app (default): includes live/_envcommon/app.hcl, changed",
      ].join("\n"),
    );
  });

  it("prints the graph as JSON: nodes, and edges from what runs first to what runs after", () => {
    const result = terragate("config", "graph", "--repo", repo, "--format", "json");
    expect(result.code).toBe(0);
    const graph = JSON.parse(result.stdout) as {
      nodes: { id: string; stack: string | null }[];
      edges: unknown[];
    };
    expect(graph.nodes.map((node) => `${node.id} ${node.stack}`)).toEqual([
      "infra/broken (default) null",
      "infra/db (default) apps",
      "infra/dns (default) null",
      "infra/vpc (default) network",
      "infra/web (default) apps",
      "live/prod/app (default) null",
      "live/prod/vpc (default) network",
      "live/prod/worker (default) null",
      "modules/unused (default) null",
    ]);
    expect(graph.edges).toEqual([
      { from: "infra/vpc (default)", to: "infra/db (default)", reasons: ["stack apps depends on network"] },
      { from: "infra/vpc (default)", to: "infra/web (default)", reasons: ["stack apps depends on network"] },
      { from: "infra/web (default)", to: "infra/dns (default)", reasons: ['dirs."infra/dns".depends_on[0]'] },
      {
        from: "live/prod/app (default)",
        to: "live/prod/worker (default)",
        reasons: ["dependency at live/prod/worker/terragrunt.hcl:9:11"],
      },
      {
        from: "live/prod/vpc (default)",
        to: "infra/db (default)",
        reasons: ["stack apps depends on network"],
      },
      {
        from: "live/prod/vpc (default)",
        to: "infra/web (default)",
        reasons: ["stack apps depends on network"],
      },
      {
        from: "live/prod/vpc (default)",
        to: "live/prod/app (default)",
        reasons: ["dependency at live/_envcommon/app.hcl:6:17"],
      },
      {
        from: "live/prod/vpc (default)",
        to: "live/prod/worker (default)",
        reasons: ["dependency at live/prod/worker/terragrunt.hcl:9:11"],
      },
    ]);
  });

  it("prints Graphviz dot by default", () => {
    const result = terragate("config", "graph", "--repo", repo);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^digraph terragate \{\n/);
    expect(result.stdout).toContain('"infra/web (default)" -> "infra/dns (default)"');
    expect(result.stdout).toContain('subgraph "cluster_network" {');
  });

  it("reports a cycle with file, line and column and exits 1", () => {
    const cyclic = checkout({
      ...monorepo,
      ".terragate/config.yml": `${stacksConfig}  infra/vpc:\n    depends_on: [infra/dns]\n`,
    });
    made.push(cyclic);
    for (const command of [["validate"], ["graph"]]) {
      const result = terragate("config", ...command, "--repo", cyclic);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `${cyclic}/.terragate/config.yml:11:18: stacks: cycle infra/dns → infra/web → infra/vpc → infra/dns`,
      );
    }
  });

  it("rejects a bad format or a missing checkout with usage and exit 2", () => {
    expect(terragate("config", "graph", "--format", "svg").code).toBe(2);
    expect(terragate("config", "graph", "--repo", join(repo, "nope")).code).toBe(2);
    expect(parseGraphArgs(["--repo=x", "--format=json"])).toEqual({ ok: true, repo: "x", format: "json" });
    expect(parseGraphArgs(["--format"])).toEqual({ ok: false, message: "--format needs dot or json" });
  });
});
