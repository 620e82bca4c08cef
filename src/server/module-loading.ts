// How Terragate's processes load modules: Node's compile cache, relative imports inside ES-module packages resolved directly, bare specifiers resolved once.
import { existsSync, readFileSync } from "node:fs";
import { enableCompileCache, registerHooks } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `/…/node_modules/@scope/name` or `/…/node_modules/name` for a file inside a package, else undefined. */
function packageRoot(file: string): string | undefined {
  const marker = "/node_modules/";
  const at = file.lastIndexOf(marker);
  if (at === -1) return undefined;
  const [first, second] = file.slice(at + marker.length).split("/");
  if (first === undefined || second === undefined) return undefined;
  return file.slice(0, at + marker.length) + (first.startsWith("@") ? `${first}/${second}` : first);
}

/**
 * Node resolves every relative import by looking up the importing file's package scope, and each
 * lookup copies the package's `exports` out of package.json into a fresh string: drizzle-orm's is
 * 179 KB and it has ~400 internal imports. Loading the server made ~150 MB of such garbage, which
 * made V8 grow its young generation to the maximum and keep it (~90 MB more resident memory for the
 * life of the process, the reason for `--max-semi-space-size` before). Inside a package whose
 * package.json says `"type": "module"` and that has no nested package.json on the way, a relative
 * `.js` import of a file in the same package is, by Node's own rules, plain URL resolution to an ES
 * module: this hook answers exactly that and hands everything else to Node.
 */
function resolveInsideEsmPackages(): void {
  const moduleRoots = new Map<string, boolean>();
  /** Directories known to have no package.json between them and their package's root. */
  const plainDirectories = new Set<string>();
  const isEsmPackageFile = (file: string, root: string): boolean => {
    let esm = moduleRoots.get(root);
    if (esm === undefined) {
      try {
        esm =
          (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { type?: unknown }).type ===
          "module";
      } catch {
        esm = false;
      }
      moduleRoots.set(root, esm);
    }
    if (!esm) return false;
    const checked: string[] = [];
    for (let directory = dirname(file); directory !== root; directory = dirname(directory)) {
      if (plainDirectories.has(directory)) break;
      if (!directory.startsWith(`${root}/`) || existsSync(join(directory, "package.json"))) return false;
      checked.push(directory);
    }
    for (const directory of checked) plainDirectories.add(directory);
    return true;
  };
  registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL;
      if (
        parent?.startsWith("file://") &&
        parent.endsWith(".js") &&
        parent.includes("/node_modules/") &&
        (specifier.startsWith("./") || specifier.startsWith("../")) &&
        specifier.endsWith(".js")
      ) {
        const url = new URL(specifier, parent);
        const file = fileURLToPath(url);
        const root = packageRoot(file);
        if (
          root !== undefined &&
          root === packageRoot(fileURLToPath(parent)) &&
          isEsmPackageFile(file, root)
        ) {
          return { url: url.href, format: "module", shortCircuit: true };
        }
      }
      if (parent?.startsWith("file://") && isBareSpecifier(specifier)) {
        return resolveBareOnce(specifier, context, fileURLToPath(parent), next);
      }
      return next(specifier, context);
    },
  });
}

type ResolveContext = Parameters<Parameters<typeof registerHooks>[0]["resolve"] & object>[1];
type NextResolve = Parameters<Parameters<typeof registerHooks>[0]["resolve"] & object>[2];

/** A bare specifier's resolution, by specifier, conditions and the importer's resolution anchor. */
const bareResolutions = new Map<string, { url: string; format?: string | null | undefined }>();
/** Directory → its resolution anchor (see resolutionAnchor). */
const anchors = new Map<string, string>();

/** `zod`, `drizzle-orm/pg-core`, `fs`: neither relative, absolute, a URL nor a package import (`#…`). */
function isBareSpecifier(specifier: string): boolean {
  return !(
    specifier.startsWith("./") ||
    specifier.startsWith("../") ||
    specifier.startsWith("/") ||
    specifier.startsWith("#") ||
    specifier.includes(":")
  );
}

/**
 * The nearest directory at or above `directory` that holds a package.json or a node_modules, or is a
 * node_modules. Node resolves a bare specifier from the importer's package scope (its nearest
 * package.json, for a package importing itself by name) and from the node_modules folders on the
 * way up from the importer's directory; between a directory and its anchor there is neither, so a
 * bare specifier resolves the same from every directory with the same anchor.
 */
function resolutionAnchor(directory: string): string {
  const known = anchors.get(directory);
  if (known !== undefined) return known;
  const parent = dirname(directory);
  const anchor =
    parent === directory ||
    basename(directory) === "node_modules" ||
    existsSync(join(directory, "package.json")) ||
    existsSync(join(directory, "node_modules"))
      ? directory
      : resolutionAnchor(parent);
  anchors.set(directory, anchor);
  return anchor;
}

/**
 * Node resolves a bare specifier afresh for every importing file, and each time copies and parses
 * the package's `exports` out of its package.json twice (to find the file, then its format):
 * drizzle-orm's is 179 KB and the server imports it from 60 files. The first resolution from an
 * anchor (see resolutionAnchor) is Node's own; the others reuse it.
 */
function resolveBareOnce(specifier: string, context: ResolveContext, parentFile: string, next: NextResolve) {
  const key = `${specifier}\0${context.conditions?.join(",") ?? ""}\0${resolutionAnchor(dirname(parentFile))}`;
  const known = bareResolutions.get(key);
  if (known) return { ...known, shortCircuit: true };
  const result = next(specifier, context);
  bareResolutions.set(key, { url: result.url, format: result.format });
  return result;
}

/**
 * Call first in every entry point, before importing the application: only modules loaded afterwards
 * benefit. The compile cache keeps type-stripped, compiled modules across starts (without it every
 * start loads Node's TypeScript stripper, a WebAssembly build of swc of about 20 MB, and compiles
 * everything anew); it lives where NODE_COMPILE_CACHE says, else in the OS temp dir, is checked
 * against each file's contents, and NODE_DISABLE_COMPILE_CACHE=1 turns it off. bin/terragate.js
 * turns it on before its first TypeScript file, so a `terragate` process never loads the stripper.
 */
export function prepareModuleLoading(): void {
  enableCompileCache();
  resolveInsideEsmPackages();
}
