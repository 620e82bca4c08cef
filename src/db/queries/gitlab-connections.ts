// GitLab installations: storing a connection (installation + sealed token + webhook secret hash) and reading them for intake.
import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { type GitlabNamespaceKind, gitlabConnections, installations, repositories } from "../schema/index.ts";

export interface NewGitlabConnection {
  instanceUrl: string;
  kind: GitlabNamespaceKind;
  /** GitLab's numeric id of the group or project (the installation's external id). */
  namespaceId: string;
  fullPath: string;
  accessTokenSealed: Buffer;
  webhookSecretHash: Buffer;
  hookId: number | null;
  botUserId: number;
  botUsername: string;
  tokenExpiresAt: string | null;
}

export interface GitlabConnectionRecord {
  installationId: number;
  externalId: string;
  instanceUrl: string;
  kind: GitlabNamespaceKind;
  fullPath: string;
  webhookSecretHash: Buffer;
  botUserId: number;
  botUsername: string;
  accessTokenSealed: Buffer | null;
  brokenAt: Date | null;
  brokenReason: string | null;
  /** YYYY-MM-DD when GitLab reported an expiry for the token. */
  tokenExpiresAt: string | null;
}

export class GitlabConnectionConflictError extends Error {
  override name = "GitlabConnectionConflictError";
}

/** Whether one GitLab path contains the other (a group and a project or subgroup inside it). */
export function pathsOverlap(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** Every GitLab installation that is not deleted, with what intake needs to authenticate its hooks. */
export async function listGitlabConnections(executor: Executor): Promise<GitlabConnectionRecord[]> {
  return executor
    .select({
      installationId: gitlabConnections.installationId,
      externalId: installations.externalId,
      instanceUrl: gitlabConnections.instanceUrl,
      kind: gitlabConnections.kind,
      fullPath: gitlabConnections.fullPath,
      webhookSecretHash: gitlabConnections.webhookSecretHash,
      botUserId: gitlabConnections.botUserId,
      botUsername: gitlabConnections.botUsername,
      accessTokenSealed: installations.accessTokenSealed,
      brokenAt: gitlabConnections.brokenAt,
      brokenReason: gitlabConnections.brokenReason,
      tokenExpiresAt: gitlabConnections.tokenExpiresAt,
    })
    .from(gitlabConnections)
    .innerJoin(installations, eq(installations.id, gitlabConnections.installationId))
    .where(and(eq(installations.vcs, "gitlab"), isNull(installations.deletedAt)));
}

/**
 * Creates or updates the installation of a group or project in one transaction (the caller's). A
 * group and a project inside it cannot both be connected: GitLab would deliver every event twice.
 */
export async function saveGitlabConnection(
  executor: Executor,
  connection: NewGitlabConnection,
): Promise<number> {
  // Two connects at once must not both pass the overlap check: they take turns for this transaction.
  await executor.execute(sql`select pg_advisory_xact_lock(hashtext('terragate:gitlab-connections'))`);
  const existing = await listGitlabConnections(executor);
  for (const other of existing) {
    const same =
      other.instanceUrl === connection.instanceUrl &&
      other.fullPath.toLowerCase() === connection.fullPath.toLowerCase();
    if (same) continue;
    if (other.instanceUrl === connection.instanceUrl && pathsOverlap(other.fullPath, connection.fullPath)) {
      throw new GitlabConnectionConflictError(
        `${connection.kind} ${connection.fullPath} overlaps the connected ${other.kind} ${other.fullPath} (installation gitlab:${other.externalId}); GitLab would send every event to both webhooks. Connect only the enclosing group.`,
      );
    }
    if (other.externalId === connection.namespaceId) {
      throw new GitlabConnectionConflictError(
        `installation gitlab:${connection.namespaceId} is already ${other.kind} ${other.fullPath} on ${other.instanceUrl}; GitLab ids are shared by groups and projects and across instances, so ${connection.fullPath} cannot be connected beside it`,
      );
    }
  }
  const [installation] = await executor
    .insert(installations)
    .values({
      vcs: "gitlab",
      externalId: connection.namespaceId,
      accountLogin: connection.fullPath,
      accountType: connection.kind === "group" ? "Group" : "Project",
      accessTokenSealed: connection.accessTokenSealed,
    })
    .onConflictDoUpdate({
      target: [installations.vcs, installations.externalId],
      set: {
        accountLogin: connection.fullPath,
        accountType: connection.kind === "group" ? "Group" : "Project",
        accessTokenSealed: connection.accessTokenSealed,
        deletedAt: null,
        suspendedAt: null,
        updatedAt: sql`now()`,
      },
    })
    .returning({ id: installations.id });
  if (!installation) throw new Error("the installation row was not written");
  const values = {
    instanceUrl: connection.instanceUrl,
    kind: connection.kind,
    fullPath: connection.fullPath,
    hookId: connection.hookId,
    webhookSecretHash: connection.webhookSecretHash,
    botUserId: connection.botUserId,
    botUsername: connection.botUsername,
    tokenExpiresAt: connection.tokenExpiresAt,
  };
  await executor
    .insert(gitlabConnections)
    .values({ installationId: installation.id, ...values })
    .onConflictDoUpdate({
      target: gitlabConnections.installationId,
      set: { ...values, brokenAt: null, brokenReason: null, updatedAt: sql`now()` },
    });
  return installation.id;
}

/** Records that GitLab refused the installation's token; connecting again clears it. */
export async function markGitlabConnectionBroken(
  executor: Executor,
  installationId: number,
  reason: string,
): Promise<boolean> {
  const rows = await executor
    .update(gitlabConnections)
    .set({ brokenAt: sql`now()`, brokenReason: reason, updatedAt: sql`now()` })
    .where(and(eq(gitlabConnections.installationId, installationId), isNull(gitlabConnections.brokenAt)))
    .returning({ id: gitlabConnections.installationId });
  return rows.length > 0;
}

/** The connection of one GitLab installation (by its external id), or null when none is connected. */
export async function getGitlabConnection(
  executor: Executor,
  externalId: string,
): Promise<GitlabConnectionRecord | null> {
  const rows = await listGitlabConnections(executor);
  return rows.find((row) => row.externalId === externalId) ?? null;
}

/** The GitLab project id Terragate stored for a project path of an installation, or null. */
export async function gitlabProjectId(
  executor: Executor,
  installationId: number,
  fullName: string,
): Promise<string | null> {
  const [row] = await executor
    .select({ externalId: repositories.externalId })
    .from(repositories)
    .where(
      and(
        eq(repositories.installationId, installationId),
        eq(repositories.vcs, "gitlab"),
        sql`lower(${repositories.fullName}) = lower(${fullName})`,
      ),
    )
    .limit(1);
  return row?.externalId ?? null;
}

/** The GitLab instance an installation was connected on (its `--url`); null when it is not a GitLab installation. */
export async function gitlabInstanceUrl(executor: Executor, installationId: number): Promise<string | null> {
  const [row] = await executor
    .select({ instanceUrl: gitlabConnections.instanceUrl })
    .from(gitlabConnections)
    .where(eq(gitlabConnections.installationId, installationId));
  return row?.instanceUrl ?? null;
}

/** A GitLab installation whose token GitLab refused, as the health endpoint lists it. */
export interface BrokenGitlabInstallation {
  installation: string;
  kind: GitlabNamespaceKind;
  path: string;
  instanceUrl: string;
  since: string;
  reason: string;
}

/** Every GitLab installation marked broken (its token revoked or expired), oldest first. */
export async function listBrokenGitlabInstallations(executor: Executor): Promise<BrokenGitlabInstallation[]> {
  const rows = await executor
    .select({
      externalId: installations.externalId,
      kind: gitlabConnections.kind,
      path: gitlabConnections.fullPath,
      instanceUrl: gitlabConnections.instanceUrl,
      brokenAt: gitlabConnections.brokenAt,
      brokenReason: gitlabConnections.brokenReason,
    })
    .from(gitlabConnections)
    .innerJoin(installations, eq(installations.id, gitlabConnections.installationId))
    .where(and(isNull(installations.deletedAt), isNotNull(gitlabConnections.brokenAt)))
    .orderBy(gitlabConnections.brokenAt);
  return rows.map((row) => ({
    installation: `gitlab:${row.externalId}`,
    kind: row.kind,
    path: row.path,
    instanceUrl: row.instanceUrl,
    since: (row.brokenAt ?? new Date(0)).toISOString(),
    reason: row.brokenReason ?? "GitLab refused the access token",
  }));
}
