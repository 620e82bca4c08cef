// Host facts the embedded database depends on: the user it runs as, directory permissions, processes and free ports.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export class HostError extends Error {
  override name = "HostError";
}

export interface Owner {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root; when we are root, the cluster belongs to a `postgres` system user. */
export async function clusterOwner(): Promise<Owner | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const lookup = async (): Promise<Owner> => {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await run("useradd", [
        "--system",
        "--user-group",
        "--no-create-home",
        "--shell",
        "/bin/false",
        "postgres",
      ]);
      return await lookup();
    } catch (error) {
      throw new HostError(
        "Running as root, the embedded PostgreSQL needs a `postgres` system user and creating one failed. " +
          "Create it (useradd --system --user-group postgres), run Terragate as another user, or set DATABASE_URL.",
        { cause: error },
      );
    }
  }
}

/**
 * Whether `owner` could reach `path`: every existing directory above it grants search permission
 * to that user (as owner, through its primary group — the server runs without supplementary
 * groups — or to everybody).
 */
export async function isReachableBy(path: string, owner: Owner): Promise<boolean> {
  let current = dirname(resolve(path));
  for (;;) {
    try {
      const info = await stat(current);
      const searchable =
        (info.uid === owner.uid && (info.mode & 0o100) !== 0) ||
        (info.gid === owner.gid && (info.mode & 0o010) !== 0) ||
        (info.mode & 0o001) !== 0;
      if (!searchable) return false;
    } catch {
      // Not created yet: it will be, with search permission (see the data dir's mode).
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

export async function commandLine(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export async function parentPid(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^PPid:\s+(\d+)/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("could not determine a free port");
  return address.port;
}
