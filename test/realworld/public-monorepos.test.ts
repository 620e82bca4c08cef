// Real public repositories (brought by the session's fetch tool into a local mirror): every file parses, and
// the module index agrees with what the `source` lines say. Runs only where the mirror exists; no third-party
// code is committed.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { indexRepository, type ModuleIndex } from "../../src/domain/module-index/build.ts";
import { isIndexedFile } from "../../src/domain/module-index/summarize.ts";
import { basenameOf, dirnameOf, resolveRelativePath } from "../../src/domain/paths.ts";

/** Where mirrors live: one bare-ish git dir per repository at `<dir>/<owner>+<name>/repo`. */
const mirrors = process.env.TERRAGATE_MIRROR_DIR ?? "/work/.mirror";

function mirrorOf(repository: string): string | undefined {
  const dir = join(mirrors, repository.replace("/", "+"), "repo");
  return existsSync(dir) ? dir : undefined;
}

/** Every path at HEAD and the text of every file the index reads, in one `git cat-file --batch`. */
function readMirror(dir: string): { files: string[]; contents: Map<string, string> } {
  const git = (args: string[], input?: string) =>
    execFileSync("git", ["-C", dir, ...args], { input, maxBuffer: 1 << 30 });
  const files = git(["ls-tree", "-r", "--name-only", "HEAD"]).toString("utf8").split("\n").filter(Boolean);
  const indexed = files.filter(isIndexedFile);
  const batch = git(["cat-file", "--batch"], `${indexed.map((path) => `HEAD:${path}`).join("\n")}\n`);
  const contents = new Map<string, string>();
  let offset = 0;
  for (const path of indexed) {
    const headerEnd = batch.indexOf(10, offset);
    const size = Number(batch.subarray(offset, headerEnd).toString().split(" ")[2]);
    contents.set(path, batch.subarray(headerEnd + 1, headerEnd + 1 + size).toString("utf8"));
    offset = headerEnd + 1 + size + 1;
  }
  return { files, contents };
}

/**
 * The reference: `terraform fmt` style files put a `module "x" {` at the start of a line and its closing
 * `}` alone at the start of a line; a `source = "./…"` or `"../…"` line between them is a local module.
 */
function referenceModuleSources(text: string): { line: number; source: string }[] {
  const found: { line: number; source: string }[] = [];
  let inModule = false;
  text.split("\n").forEach((line, index) => {
    if (/^module\s+"[^"]*"\s*\{\s*$/.test(line)) inModule = true;
    else if (inModule && /^\}/.test(line)) inModule = false;
    else if (inModule) {
      const source = /^\s*source\s*=\s*"([^"]*)"/.exec(line)?.[1];
      if (source?.startsWith("./") || source?.startsWith("../")) found.push({ line: index + 1, source });
    }
  });
  return found;
}

function usersByModule(entries: Iterable<[string, string]>): Record<string, string[]> {
  const users: Record<string, string[]> = {};
  for (const [user, module] of entries) users[module] = [...new Set([...(users[module] ?? []), user])].sort();
  return users;
}

function report(name: string, index: ModuleIndex, files: number, ms: number): void {
  const uses = [...index.dirs.values()].reduce((sum, list) => sum + list.length, 0);
  const errors = index.problems.filter((problem) => problem.severity === "error").length;
  process.stdout.write(
    `${name}: ${files} files parsed in ${ms.toFixed(0)} ms; ${index.dirs.size} terraform dirs, ${index.modules.size} modules, ${uses} uses, ${errors} unparsable, ${index.problems.length - errors} warnings\n`,
  );
}

const terraformRepos = [
  "cloudposse/terraform-aws-components",
  "terraform-aws-modules/terraform-aws-eks",
  "terraform-google-modules/terraform-example-foundation",
  "aws-ia/terraform-aws-eks-blueprints",
];

for (const repository of terraformRepos) {
  const dir = mirrorOf(repository);
  if (!dir)
    process.stdout.write(`skipping ${repository}: no mirror at ${mirrors} (bring one with the fetch tool)\n`);
  describe.skipIf(!dir)(`${repository} (local mirror)`, () => {
    it("parses every .tf file, and each module's users are what the source lines say", () => {
      const { files, contents } = readMirror(dir!);
      const started = performance.now();
      const index = indexRepository(files, contents);
      report(repository, index, contents.size, performance.now() - started);
      expect(index.problems.filter((problem) => problem.severity === "error")).toEqual([]);

      const dirs = new Set(index.dirs.keys());
      const expected: [string, string][] = [];
      const expectedUnresolved: string[] = [];
      for (const [path, text] of contents) {
        if (!path.endsWith(".tf")) continue;
        for (const { line, source } of referenceModuleSources(text)) {
          const target = resolveRelativePath(dirnameOf(path), source);
          if (target.ok && dirs.has(target.path) && target.path !== dirnameOf(path)) {
            expected.push([dirnameOf(path), target.path]);
          } else expectedUnresolved.push(`${path}:${line}`);
        }
      }
      const actual = [...index.dirs].flatMap(([user, uses]) =>
        uses.filter((use) => use.kind === "module").map((use): [string, string] => [user, use.target]),
      );
      expect(usersByModule(actual)).toEqual(usersByModule(expected));
      expect(new Set(index.modules)).toEqual(new Set(expected.map(([, module]) => module)));
      const warned = index.problems.filter((problem) => problem.message.startsWith("module "));
      expect(warned.map((problem) => `${problem.file}:${problem.line}`).sort()).toEqual(
        expectedUnresolved.sort(),
      );
    });
  });
}

const terragruntRepo = "gruntwork-io/terragrunt-infrastructure-live-example";
const terragruntDir = mirrorOf(terragruntRepo);
if (!terragruntDir) process.stdout.write(`skipping ${terragruntRepo}: no mirror at ${mirrors}\n`);
describe.skipIf(!terragruntDir)(`${terragruntRepo} (local mirror)`, () => {
  it("finds each unit's root and envcommon includes and the files it reads, with nothing left unresolved", () => {
    const { files, contents } = readMirror(terragruntDir!);
    const started = performance.now();
    const index = indexRepository(files, contents);
    report(terragruntRepo, index, contents.size, performance.now() - started);
    expect(index.problems).toEqual([]);
    const units = [...index.dirs.keys()].filter((dir) => contents.has(`${dir}/terragrunt.hcl`));
    expect(units.length).toBeGreaterThanOrEqual(4);
    for (const unit of units) {
      const uses = index.dirs.get(unit)!.map((use) => `${use.kind} ${use.target}`);
      const environment = dirnameOf(unit);
      expect(uses).toEqual(
        expect.arrayContaining([
          "include root.hcl",
          `include _envcommon/${basenameOf(unit)}.hcl`,
          `read ${environment}/env.hcl`,
          `read ${dirnameOf(environment)}/region.hcl`,
        ]),
      );
    }
  });
});
