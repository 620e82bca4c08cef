// A deliberately simple module-aware change check the index is measured against: each dir loads its module tree alone.
import { parseHcl, templateLiteral } from "../hcl/parse.ts";
import { dirnameOf, resolveRelativePath } from "../paths.ts";

const ownFileSuffixes = [".tf", ".tfvars", ".tofu", "/terragrunt.hcl", "/.terraform.lock.hcl"];

/** Local module sources of the .tf files directly in a dir, parsed afresh on every call. */
function loadModuleSources(
  dir: string,
  filesByDir: ReadonlyMap<string, string[]>,
  contents: ReadonlyMap<string, string>,
): string[] {
  const targets: string[] = [];
  for (const file of filesByDir.get(dir) ?? []) {
    if (!file.endsWith(".tf") && !file.endsWith(".tofu")) continue;
    const parsed = parseHcl(contents.get(file) ?? "");
    if (!parsed.ok) continue;
    for (const block of parsed.body.blocks) {
      const source =
        block.type === "module"
          ? block.body.attributes.find((attribute) => attribute.name === "source")
          : undefined;
      const text = source?.value.kind === "template" ? templateLiteral(source.value.parts) : null;
      if (text === null || text === undefined || !(text.startsWith("./") || text.startsWith("../"))) continue;
      const resolved = resolveRelativePath(dir, text);
      if (resolved.ok && filesByDir.has(resolved.path)) targets.push(resolved.path);
    }
  }
  return targets;
}

/**
 * Dirs a PR changes (own files, or any module in their tree, with the default file patterns), the way
 * `terraform init` would find them: every dir loads its whole module tree, re-reading shared modules.
 */
export function naiveAffectedRoots(
  files: readonly string[],
  contents: ReadonlyMap<string, string>,
  changedFiles: readonly string[],
): string[] {
  const filesByDir = new Map<string, string[]>();
  for (const file of files) {
    if (!file.endsWith(".tf") && !file.endsWith(".tofu")) continue;
    const dir = dirnameOf(file);
    filesByDir.set(dir, [...(filesByDir.get(dir) ?? []), file]);
  }
  const changedDirs = new Set(
    changedFiles.filter((file) => ownFileSuffixes.some((suffix) => file.endsWith(suffix))).map(dirnameOf),
  );
  const modules = new Set<string>();
  const affected: string[] = [];
  for (const dir of filesByDir.keys()) {
    const tree = new Set<string>();
    const load = (current: string, path: readonly string[]): void => {
      for (const target of loadModuleSources(current, filesByDir, contents)) {
        if (target === current || path.includes(target)) continue;
        modules.add(target);
        tree.add(target);
        load(target, [...path, target]);
      }
    };
    load(dir, [dir]);
    if (changedDirs.has(dir) || [...tree].some((module) => changedDirs.has(module))) affected.push(dir);
  }
  return affected.filter((dir) => !modules.has(dir)).sort();
}
