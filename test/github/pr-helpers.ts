// Helpers for tests that drive PRs through the test bed: comments, stored plans, and what was created.
import { expect } from "vitest";
import { planContext } from "../../src/api/work-manifests/manifest-store.ts";
import { seal } from "../../src/crypto/seal.ts";
import { plans, workManifests } from "../../src/db/schema/index.ts";
import type { FakePullRequest } from "../fakes/github/state.ts";
import { commentEvent, pullRequestEvent, repoFullName } from "./payloads.ts";
import type { Testbed } from "./testbed.ts";

/** Sends a PR event for the fake PR's current state and runs every job. */
export async function sendPullRequest(
  bed: Testbed,
  action: "opened" | "synchronize" | "reopened",
  pull: FakePullRequest,
): Promise<void> {
  expect(await bed.send("pull_request", pullRequestEvent(action, pull))).toBe(202);
  await bed.work();
}

/** A person comments on the PR; the webhook is delivered and every job run. Returns the comment id. */
export async function comment(
  bed: Testbed,
  number: number,
  body: string,
  author: string,
  options: { deliveryId?: string } = {},
): Promise<number> {
  const id = bed.github.state.addUserComment(repoFullName, number, author, body);
  expect(await bed.send("issue_comment", commentEvent(number, { id, body, author }), options)).toBe(202);
  await bed.work();
  return id;
}

/** The refusal comment on a PR (the bot's, by its marker), or undefined. */
export function refusal(bed: Testbed, number: number): string | undefined {
  return bed.github.state
    .botComments(repoFullName, number)
    .find((candidate) => candidate.body.includes(`<!-- terragate:refusal:pr-${number} -->`))?.body;
}

export async function manifests(bed: Testbed) {
  return bed.database.client.db.select().from(workManifests).orderBy(workManifests.createdAt);
}

/** Everything a refused command must not have created. */
export async function createdNothing(bed: Testbed): Promise<void> {
  expect(await manifests(bed)).toEqual([]);
  expect(await bed.database.client.sql`select 1 from locks`).toHaveLength(0);
  expect(bed.github.state.repo(repoFullName).checkRuns).toEqual([]);
  expect(bed.github.state.dispatches).toEqual([]);
}

/**
 * Completes a plan manifest as a successful run would: its dirspaces succeed and a sealed plan
 * file is stored for each at the PR's current shas. Returns the stored plans' ids by dir.
 */
export async function completePlan(
  bed: Testbed,
  manifestId: string,
  pull: FakePullRequest,
  content = "plan",
): Promise<Map<string, number>> {
  const db = bed.database.client.db;
  const [manifest] = await bed.database.client.sql<
    { installation_id: number; repository_id: number; pull_request_id: number }[]
  >`select installation_id, repository_id, pull_request_id from work_manifests where id = ${manifestId}`;
  const dirspaces = await bed.database.client.sql<{ dir: string; workspace: string }[]>`
    select dir, workspace from work_manifest_dirspaces where work_manifest_id = ${manifestId}`;
  const ids = new Map<string, number>();
  for (const dirspace of dirspaces) {
    const bytes = Buffer.from(`${content}:${dirspace.dir}`);
    const [row] = await db
      .insert(plans)
      .values({
        installationId: Number(manifest!.installation_id),
        repositoryId: Number(manifest!.repository_id),
        pullRequestId: Number(manifest!.pull_request_id),
        workManifestId: manifestId,
        dir: dirspace.dir,
        workspace: dirspace.workspace,
        baseSha: pull.base.sha,
        headSha: pull.head.sha,
        hasChanges: true,
        sealed: seal(
          bed.deps.encryptionKey,
          bytes,
          planContext(manifestId, dirspace.dir, dirspace.workspace),
        ),
        sizeBytes: bytes.length,
        expiresAt: new Date(Date.now() + 86_400_000),
      })
      .returning({ id: plans.id });
    ids.set(dirspace.dir, row!.id);
  }
  await bed.database.client.sql`
    update work_manifest_dirspaces set state = 'success', success = true where work_manifest_id = ${manifestId}`;
  await bed.database.client.sql`update work_manifests set state = 'completed' where id = ${manifestId}`;
  return ids;
}
