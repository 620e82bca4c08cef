// `terragate config validate` end to end: a temp checkout, text and JSON output, and a broken config.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { terragateBin } from "../../test/harness/cli-entry.ts";
import { parseValidateArgs } from "./config-validate.ts";

function terragate(...args: string[]) {
  const result = spawnSync(process.execPath, [terragateBin, ...args], { encoding: "utf8", timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("terragate config validate", () => {
  let repo: string;
  const write = (path: string, text = "") => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "terragate-config-"));
    for (const file of [
      "infra/a/main.tf",
      "infra/b/main.tf",
      "infra/b/README.md",
      "modules/vpc/main.tf",
      ".terraform/modules/x/main.tf",
      "node_modules/pkg/main.tf",
      ".git/main.tf",
    ]) {
      write(file);
    }
    write(
      ".terragate/config.yml",
      [
        "version: 1",
        "dirs:",
        '  "infra/*":',
        "    tags: [aws]",
        "    workspaces: { prod: { tags: [prod] }, staging: {} }",
        "  infra/old: {}",
        "workflows:",
        "  - tag_query: prod",
        "    engine: { name: tofu }",
        "when_modified:",
        "  autoplan: true",
      ].join("\n"),
    );
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it("prints exactly the documented JSON, sorted, with changed dirspaces", () => {
    const result = terragate("config", "validate", "--repo", repo, "--changed", "infra/b/main.tf", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      dirspaces: [
        {
          dir: "infra/a",
          workspace: "prod",
          tags: ["aws", "prod", "dir:infra/a", "workspace:prod"],
          autoplan: true,
          changed: false,
          layer: null,
          reasons: [],
        },
        {
          dir: "infra/a",
          workspace: "staging",
          tags: ["aws", "dir:infra/a", "workspace:staging"],
          autoplan: true,
          changed: false,
          layer: null,
          reasons: [],
        },
        {
          dir: "infra/b",
          workspace: "prod",
          tags: ["aws", "prod", "dir:infra/b", "workspace:prod"],
          autoplan: true,
          changed: true,
          layer: 1,
          reasons: ["infra/b/main.tf changed"],
        },
        {
          dir: "infra/b",
          workspace: "staging",
          tags: ["aws", "dir:infra/b", "workspace:staging"],
          autoplan: true,
          changed: true,
          layer: 1,
          reasons: ["infra/b/main.tf changed"],
        },
      ],
    });
    expect(result.stderr).toContain(
      '.terragate/config.yml:6:3: warning: dirs."infra/old": matches no terraform root',
    );
  });

  it("lists dirspaces with tags and workflow, and marks what a PR would plan", () => {
    const plain = terragate("config", "validate", "--repo", repo);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("4 dirspaces in 2 dirs");
    expect(plain.stdout).toMatch(
      /infra\/a \(prod\)\s+tags: aws prod dir:infra\/a workspace:prod\n\s+workflow: workflows\[0\]: tofu/,
    );
    expect(plain.stdout).toMatch(
      /infra\/b \(staging\)\s+tags: aws dir:infra\/b workspace:staging\n\s+workflow: default: terraform \(plan: init, plan; apply: init, apply\)/,
    );

    const changed = terragate(
      "config",
      "validate",
      "--repo",
      repo,
      "--changed",
      "infra/a/main.tf",
      "infra/b/README.md",
    );
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(/^plan\s+infra\/a \(prod\)/m);
    expect(changed.stdout).toMatch(/^-\s+infra\/b \(prod\)/m);
    expect(changed.stdout).toContain("2 dirspaces would be planned for these changes.");
  });

  it("reports a YAML error with file, line and column and exits 1", () => {
    const broken = mkdtempSync(join(tmpdir(), "terragate-config-broken-"));
    try {
      mkdirSync(join(broken, ".terragate"));
      writeFileSync(join(broken, ".terragate/config.yml"), "version: 1\ndirs:\n  a: {tags: [x}\n");
      const result = terragate("config", "validate", "--repo", broken, "--json");
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")[0]).toBe(
        `${broken}/.terragate/config.yml:3:15: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it("reports a schema error with the key path and exits 1", () => {
    const broken = mkdtempSync(join(tmpdir(), "terragate-config-broken-"));
    try {
      mkdirSync(join(broken, ".terragate"));
      writeFileSync(join(broken, ".terragate/config.yml"), 'dirs:\n  "aws/vpc":\n    workspces: {}\n');
      const result = terragate("config", "validate", "--repo", broken);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `${broken}/.terragate/config.yml:3:5: dirs."aws/vpc".workspces: unknown key; did you mean workspaces?\n`,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it("uses the defaults when there is no config file", () => {
    const bare = mkdtempSync(join(tmpdir(), "terragate-config-bare-"));
    try {
      mkdirSync(join(bare, "stack"));
      writeFileSync(join(bare, "stack/main.tf"), "");
      const result = terragate("config", "validate", "--repo", bare, "--json", "--changed", "stack/main.tf");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        dirspaces: [
          {
            dir: "stack",
            workspace: "default",
            tags: ["dir:stack", "workspace:default"],
            autoplan: true,
            changed: true,
            layer: 1,
            reasons: ["stack/main.tf changed"],
          },
        ],
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe("parseValidateArgs", () => {
  it("collects several --changed files until the next flag", () => {
    expect(parseValidateArgs(["--changed", "a.tf", "b.tf", "--json", "--repo", "x"])).toEqual({
      ok: true,
      options: { repo: "x", changed: ["a.tf", "b.tf"], json: true },
    });
  });

  it("rejects stray arguments", () => {
    expect(parseValidateArgs(["stray"])).toEqual({ ok: false, message: 'unexpected argument "stray"' });
    expect(parseValidateArgs(["--repo"])).toEqual({ ok: false, message: "--repo needs a directory" });
  });
});
