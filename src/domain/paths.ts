// Repository-relative paths: one normal form (`a/b`, `.` for the root) and clear errors for unsafe ones.

/** A path that cannot name a file inside the repository; says why and what to write instead. */
export class PathError extends Error {
  override name = "PathError";
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`invalid path ${JSON.stringify(path)}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

/** The result of checking a path without throwing. */
export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Normal form of a repository-relative path: no `.` or empty segments, no trailing slash, `.` for the
 * root. Rejects NUL bytes, backslashes, absolute paths and `..`, which could point outside the repo.
 */
export function checkPath(path: string): PathCheck {
  if (path.includes("\0")) return { ok: false, reason: "it contains a NUL byte" };
  if (path.includes("\\")) {
    return { ok: false, reason: "it contains a backslash; separate directories with / instead" };
  }
  if (path.startsWith("/") || /^[A-Za-z]:\//.test(path)) {
    return { ok: false, reason: "it is absolute; write it relative to the repository root" };
  }
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      return { ok: false, reason: "it contains `..`; paths must stay inside the repository" };
    }
    segments.push(segment);
  }
  return { ok: true, path: segments.length === 0 ? "." : segments.join("/") };
}

const needsNormalizing = /^\/|\/$|\/\/|(?:^|\/)\.\.?(?:\/|$)|\\|\0|^$|^[A-Za-z]:\//;

/** Fast check for the common case: the path is already in normal form (and valid). */
export function isNormalPath(path: string): boolean {
  return !needsNormalizing.test(path) || path === ".";
}

/** Like checkPath, but throws a PathError. */
export function normalizePath(path: string): string {
  const checked = checkPath(path);
  if (!checked.ok) throw new PathError(path, checked.reason);
  return checked.path;
}

/** The directory of a normalized file path (`.` for a file at the root). */
export function dirnameOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : path.slice(0, slash);
}

/** The last segment of a normalized path. */
export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Joins a normalized directory and a relative path (`.` joins to the path itself). */
export function joinPath(dir: string, rest: string): string {
  if (dir === ".") return rest === "" ? "." : rest;
  return rest === "" || rest === "." ? dir : `${dir}/${rest}`;
}

/** Whether `path` is `dir` itself or lies below it. */
export function isWithin(path: string, dir: string): boolean {
  return dir === "." || path === dir || path.startsWith(`${dir}/`);
}

/**
 * Resolves a relative path (`../modules/vpc`, `./x`, `a//b`) against a normalized directory. Fails
 * when it climbs above the repository root.
 */
export function resolveRelativePath(dir: string, relative: string): PathCheck {
  if (relative.includes("\0")) return { ok: false, reason: "it contains a NUL byte" };
  if (relative.includes("\\")) return { ok: false, reason: "it contains a backslash" };
  const segments = dir === "." ? [] : dir.split("/");
  for (const segment of relative.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return { ok: false, reason: "it climbs above the repository root" };
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return { ok: true, path: segments.length === 0 ? "." : segments.join("/") };
}

/** The relative path from one normalized directory to another (`../b` from `x/a` to `x/b`). */
export function relativePath(from: string, to: string): string {
  const fromSegments = from === "." ? [] : from.split("/");
  const toSegments = to === "." ? [] : to.split("/");
  let shared = 0;
  while (
    shared < fromSegments.length &&
    shared < toSegments.length &&
    fromSegments[shared] === toSegments[shared]
  ) {
    shared++;
  }
  const up = fromSegments.slice(shared).map(() => "..");
  const result = [...up, ...toSegments.slice(shared)].join("/");
  return result === "" ? "." : result;
}

/**
 * Directories that never hold a repository's own terraform (vendored dependencies, terraform's and
 * Terragrunt's caches, git's own): neither a checkout walk nor a tree listing goes into them.
 */
export const vendoredDirNames: ReadonlySet<string> = new Set([
  ".git",
  ".terraform",
  ".terragrunt-cache",
  "node_modules",
]);
