// Which GitLab installation a webhook secret belongs to: SHA-256 of X-Gitlab-Token → connections, cached briefly.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/client.ts";
import { type GitlabConnectionRecord, listGitlabConnections } from "../../db/queries/gitlab-connections.ts";

export function hashWebhookSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

export interface GitlabConnectionCache {
  /**
   * The installations whose webhook secret is `token` (usually one), or null. The secret's hash is
   * compared in constant time; a miss reloads the cache (at most once a second) so a connection
   * made a moment ago is found.
   */
  authenticate(token: string): Promise<GitlabConnectionRecord[] | null>;
}

/** The installation among `candidates` whose group or project contains the project, or null. */
export function coveringConnection(
  candidates: GitlabConnectionRecord[],
  project: { id: number; path: string },
): GitlabConnectionRecord | null {
  const path = project.path.toLowerCase();
  return (
    candidates.find((connection) =>
      connection.kind === "project"
        ? connection.externalId === String(project.id)
        : path.startsWith(`${connection.fullPath.toLowerCase()}/`),
    ) ?? null
  );
}

/** Bumped when this process connects (or reconnects) a GitLab installation; every cache then reloads. */
let connectionsVersion = 0;

/**
 * Tells this process's caches that a connection was saved: its first hook must not meet a cache loaded
 * a moment before (the miss guard below would answer 401 for up to a second). Another replica learns
 * of it at its next miss-reload, a second at most.
 */
export function gitlabConnectionsChanged(): void {
  connectionsVersion += 1;
}

export function createGitlabConnectionCache(
  db: Database,
  options: { ttlMs?: number } = {},
): GitlabConnectionCache {
  const ttlMs = options.ttlMs ?? 5_000;
  let bySecret = new Map<string, GitlabConnectionRecord[]>();
  let loadedAt = 0;
  let loadedVersion = connectionsVersion;
  let loading: Promise<void> | null = null;

  function reload(): Promise<void> {
    const version = connectionsVersion;
    loading ??= listGitlabConnections(db)
      .then((connections) => {
        const next = new Map<string, GitlabConnectionRecord[]>();
        for (const connection of connections) {
          const key = connection.webhookSecretHash.toString("hex");
          next.set(key, [...(next.get(key) ?? []), connection]);
        }
        bySecret = next;
        loadedAt = Date.now();
        loadedVersion = version;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  function match(hash: Buffer): GitlabConnectionRecord[] | null {
    const candidates = (bySecret.get(hash.toString("hex")) ?? []).filter(
      (connection) =>
        connection.webhookSecretHash.length === hash.length &&
        timingSafeEqual(connection.webhookSecretHash, hash),
    );
    return candidates.length > 0 ? candidates : null;
  }

  return {
    async authenticate(token) {
      const hash = hashWebhookSecret(token);
      if (Date.now() - loadedAt > ttlMs || loadedVersion !== connectionsVersion) await reload();
      const found = match(hash);
      if (found !== null || Date.now() - loadedAt <= 1_000) return found;
      await reload();
      return match(hash);
    },
  };
}
