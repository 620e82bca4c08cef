// A merge request larger than GitLab's diff listing (its `overflow`): through the webhook, every root it changes is planned.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeProject } from "../fakes/gitlab/state.ts";
import { createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import { project as hookProject, mergeRequestHook } from "./payloads.ts";

let bed: GitlabBed;
let project: FakeProject;
const token = "glpat-bot";

beforeAll(async () => {
  bed = await createGitlabBed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
  const { state } = bed.gitlab;
  const bot = state.addUser("terragate_bot", { bot: true });
  state.addToken(token, bot.username);
  state.addUser("alice");
  const group = state.addGroup("acme");
  group.members.set(bot.id, 50);
  group.members.set(state.user("alice").id, 40);
  await bed.connect({
    kind: "group",
    id: group.id,
    path: "acme",
    secret: "secret",
    token,
    botUserId: bot.id,
  });
});

const rootCount = 30;
const rootDirs = Array.from({ length: rootCount }, (_, n) => `live/r${String(n).padStart(2, "0")}`);

/** Each root with a provider lock file; the MR bumps every lock file (a provider upgrade across the monorepo). */
function openLockFileBump(diffLimit: number): void {
  const { state } = bed.gitlab;
  const files: Record<string, string> = { ".gitlab-ci.yml": "" };
  for (const dir of rootDirs) {
    files[`${dir}/main.tf`] = "";
    files[`${dir}/.terraform.lock.hcl`] = "# aws 5.0.0\n";
  }
  project = state.addProject("acme/infra", { files });
  const bumped = { ...files };
  for (const dir of rootDirs) bumped[`${dir}/.terraform.lock.hcl`] = "# aws 6.0.0\n";
  state.commit(project, "bump", bumped);
  state.openMergeRequest(project, { iid: 1, author: "alice", sourceBranch: "bump", diffLimit });
}

async function plannedDirs(): Promise<string[]> {
  const hook = mergeRequestHook({
    action: "open",
    iid: 1,
    project: hookProject({ id: project.id, path_with_namespace: project.path }),
  });
  expect((await bed.send("Merge Request Hook", hook)).status).toBe(202);
  await bed.work();
  const rows = await bed.database.client.sql<{ dir: string }[]>`
    select d.dir from work_manifest_dirspaces d join work_manifests m on m.id = d.work_manifest_id
    where m.kind = 'plan' order by d.dir`;
  return rows.map((row) => row.dir);
}

describe("a merge request larger than GitLab lists", () => {
  it("plans every root whose lock file it bumps, by comparing the trees once the diff overflowed", async () => {
    openLockFileBump(10);
    // GitLab lists 10 diffs here (changes_count "10+"): the trees of base and head tell the rest.
    expect(bed.gitlab.state.changedPaths(project.mergeRequests.get(1)!)).toHaveLength(rootCount);
    expect(await plannedDirs()).toEqual(rootDirs);
    expect(project.pipelines).toHaveLength(1);
  });
});
