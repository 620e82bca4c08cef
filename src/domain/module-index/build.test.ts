// The module index over a generated repository: module blocks, nested modules, a Terragrunt tree, broken files.
import { describe, expect, it } from "vitest";
import { index, monorepo } from "../../../test/fixtures/module-monorepo.ts";
import { evaluateRepo } from "../match.ts";
import { RepoConfig } from "../repo-config.ts";

const usesOf = (dir: string, files?: Record<string, string>) =>
  (index(files).dirs.get(dir) ?? []).map((use) => `${use.kind} ${use.target} @${use.file}:${use.line}`);

describe("buildModuleIndex", () => {
  it("records local module sources, resolved against the file's dir; remote sources and comments are not uses", () => {
    expect(usesOf("modules/network")).toEqual(["module modules/network/subnets @modules/network/main.tf:3"]);
    expect(usesOf("modules/network/subnets")).toEqual([
      "module modules/cidr @modules/network/subnets/main.tf:3",
    ]);
    expect(usesOf("infra/web")).toEqual(["module modules/app @infra/web/main.tf:4"]);
    expect(usesOf("infra/dns")).toEqual([]);
    expect(usesOf("infra/db")).toEqual(["module modules/cidr @infra/db/main.tofu:3"]);
  });

  it("follows Terragrunt includes, sources, dependencies and read_terragrunt_config, evaluating path functions", () => {
    expect(usesOf("live/prod/vpc")).toEqual([
      "include live/root.hcl @live/prod/vpc/terragrunt.hcl:3",
      "source modules/network @live/prod/vpc/terragrunt.hcl:6",
    ]);
    expect(usesOf("live/prod/app")).toEqual([
      "include live/root.hcl @live/prod/app/terragrunt.hcl:3",
      "include live/_envcommon/app.hcl @live/prod/app/terragrunt.hcl:6",
      "read live/prod/env.hcl @live/prod/app/terragrunt.hcl:9",
      "source modules/app @live/_envcommon/app.hcl:3",
      "dependency live/prod/vpc @live/_envcommon/app.hcl:6",
    ]);
    expect(usesOf("live/prod/worker")).toEqual([
      "include live/root.hcl @live/prod/worker/terragrunt.hcl:3",
      "dependency live/prod/vpc @live/prod/worker/terragrunt.hcl:9",
      "dependency live/prod/app @live/prod/worker/terragrunt.hcl:9",
    ]);
  });

  it("tells modules from roots by use, whatever the folder is called", () => {
    expect([...index().modules].sort()).toEqual([
      "modules/app",
      "modules/cidr",
      "modules/network",
      "modules/network/subnets",
    ]);
  });

  it("reports unparsable files with path, line and column, and indexes the rest", () => {
    const result = index({
      ...monorepo,
      "infra/broken/main.tf": 'module "x" {\n  source = "../../modules/cidr"\n  count = \n}\n',
    });
    expect(result.problems.filter((problem) => problem.severity === "error")).toEqual([
      {
        severity: "error",
        file: "infra/broken/main.tf",
        line: 3,
        column: 11,
        message: "cannot parse: expected an expression but the line ended",
      },
    ]);
    expect(result.dirs.get("infra/broken")).toEqual([]);
    expect(result.dirs.get("infra/vpc")?.[0]?.target).toBe("modules/network");
  });

  it("warns about references it cannot follow instead of guessing", () => {
    const result = index({
      "a/main.tf":
        'module "up" {\n  source = "../../outside"\n}\nmodule "gone" {\n  source = "./missing"\n}\n',
      "live/x/terragrunt.hcl": `terraform {\n  source = "$\{local.base}/vpc"\n}\ninclude {\n  path = find_in_parent_folders()\n}\n`,
    });
    expect(result.problems.map((problem) => `${problem.file}:${problem.line}: ${problem.message}`)).toEqual([
      'a/main.tf:2: module "up" source ../../outside: it climbs above the repository root',
      'a/main.tf:5: module "gone" source ./missing: a/missing holds no *.tf or *.tofu file',
      "live/x/terragrunt.hcl:2: terraform source: uses local.base, which is not defined in this file; changes to the module it names do not plan this unit",
      "live/x/terragrunt.hcl:5: include path: find_in_parent_folders finds no terragrunt.hcl above live/x; changes it names are not followed",
    ]);
  });
});

describe("evaluateRepo with the module index", () => {
  const files = Object.keys(monorepo);
  const config = RepoConfig.parse({ ignore: [] });
  const changed = (changedFiles: string[], repoConfig = config) => {
    const evaluation = evaluateRepo({ files, config: repoConfig, changedFiles, moduleIndex: index() });
    return evaluation.dirspaces
      .filter((dirspace) => dirspace.changed)
      .map(
        (dirspace) =>
          `${dirspace.dir}: ${evaluation.reasons
            .get(`${dirspace.dir}\0${dirspace.workspace}`)!
            .map((reason) => JSON.stringify(reason))
            .join("; ")}`,
      );
  };

  it("lists modules as not roots even with ignore: []", () => {
    const evaluation = evaluateRepo({ files, config, changedFiles: [], moduleIndex: index() });
    expect(evaluation.dirspaces.map((dirspace) => dirspace.dir)).toEqual([
      "infra/db",
      "infra/dns",
      "infra/vpc",
      "infra/web",
      "live/prod/app",
      "live/prod/vpc",
      "live/prod/worker",
      "modules/unused",
    ]);
  });

  it("changing a module plans exactly its users, transitively, with the chain", () => {
    expect(changed(["modules/cidr/main.tf"])).toEqual([
      'infra/db: {"kind":"module","module":"modules/cidr","via":[]}',
      'infra/vpc: {"kind":"module","module":"modules/cidr","via":["modules/network","modules/network/subnets"]}',
      'infra/web: {"kind":"module","module":"modules/cidr","via":["modules/app","modules/network","modules/network/subnets"]}',
      'live/prod/app: {"kind":"module","module":"modules/cidr","via":["modules/app","modules/network","modules/network/subnets"]}',
      'live/prod/vpc: {"kind":"module","module":"modules/cidr","via":["modules/network","modules/network/subnets"]}',
    ]);
    expect(changed(["modules/app/main.tf"])).toEqual([
      'infra/web: {"kind":"module","module":"modules/app","via":[]}',
      'live/prod/app: {"kind":"module","module":"modules/app","via":[]}',
    ]);
  });

  it("counts a module's files by the dirspace's own file patterns", () => {
    expect(changed(["modules/network/README.md", "modules/network/templates/user-data.tpl"])).toEqual([]);
    const deep = RepoConfig.parse({ ignore: [], when_modified: { file_patterns: [`$\{DIR}/**/*`] } });
    expect(
      changed(["modules/network/templates/user-data.tpl"], deep).map((line) => line.split(":")[0]),
    ).toEqual(["infra/vpc", "infra/web", "live/prod/app", "live/prod/vpc"]);
  });

  it("marks Terragrunt units whose included or read files changed, not their dependents", () => {
    expect(changed(["live/_envcommon/app.hcl"])).toEqual([
      'live/prod/app: {"kind":"include","file":"live/_envcommon/app.hcl"}',
    ]);
    expect(changed(["live/prod/env.hcl"])).toEqual([
      'live/prod/app: {"kind":"read","file":"live/prod/env.hcl"}',
    ]);
    expect(changed(["live/prod/vpc/terragrunt.hcl"])).toEqual([
      'live/prod/vpc: {"kind":"file","file":"live/prod/vpc/terragrunt.hcl"}',
    ]);
  });

  it("keeps own files first and turns module tracking off per dir with depends_on_modules: false", () => {
    expect(changed(["infra/web/main.tf", "modules/app/main.tf"])[0]).toBe(
      'infra/web: {"kind":"file","file":"infra/web/main.tf"}; {"kind":"module","module":"modules/app","via":[]}',
    );
    const off = RepoConfig.parse({
      ignore: [],
      dirs: { "infra/web": { when_modified: { depends_on_modules: false } } },
    });
    expect(changed(["modules/app/main.tf"], off).map((line) => line.split(":")[0])).toEqual([
      "live/prod/app",
    ]);
    const allOff = RepoConfig.parse({ ignore: [], when_modified: { depends_on_modules: false } });
    expect(changed(["modules/app/main.tf"], allOff)).toEqual([]);
  });

  it("keeps a module a root when a dirs key names it exactly", () => {
    const explicit = RepoConfig.parse({ ignore: [], dirs: { "modules/cidr": { tags: [] } } });
    const evaluation = evaluateRepo({ files, config: explicit, changedFiles: [], moduleIndex: index() });
    expect(evaluation.dirspaces.map((dirspace) => dirspace.dir)).toContain("modules/cidr");
    expect(evaluation.dirspaces.map((dirspace) => dirspace.dir)).not.toContain("modules/app");
  });
});
