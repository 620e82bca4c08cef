// End to end with real terraform: a three-layer stack planned and applied layer by layer, each reading the last one's outputs.
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import type { FakeDispatch } from "../fakes/github/state.ts";
import { commentEvent, pullRequestEvent, repoFullName } from "../github/payloads.ts";
import { git } from "../runner/runner-fixtures.ts";
import { createE2eBed, type E2eBed, mirrorCommit, startRunner } from "./e2e-bed.ts";

let bed: E2eBed;
let root: string;
let home: string;

const stacks = `version: 1
stacks:
  network:
    tag_query: "dir:live/network"
  apps:
    tag_query: "dir:live/app"
    depends_on: [network]
  edge:
    tag_query: "dir:live/edge"
    depends_on: [apps]
`;

/** A root whose resource and output are built from the previous layer's output, read from its local state. */
function reader(name: string, upstream: string): string {
  return `data "terraform_remote_state" "up" {
  backend = "local"
  config = { path = "../${upstream}/terraform.tfstate" }
}

resource "terraform_data" "${name}" {
  input = "\${data.terraform_remote_state.up.outputs.id}/${name}"
}

output "id" {
  value = terraform_data.${name}.output
}
`;
}

const network = `resource "terraform_data" "network" {
  input = "10.0.0.0/16"
}

output "id" {
  value = terraform_data.network.output
}
`;

beforeAll(async () => {
  bed = await createE2eBed();
  const base = await mkdtemp(path.join(tmpdir(), "terragate-stacks-e2e-"));
  root = path.join(base, "repo");
  home = path.join(base, "home");
  await mkdir(path.join(root, ".github/workflows"), { recursive: true });
  await mkdir(path.join(root, ".terragate"), { recursive: true });
  await mkdir(home, { recursive: true });
  await git(root, ["init", "-q", "-b", "main"]);
  await writeFile(path.join(root, ".github/workflows/terragate.yml"), `${workflowSnippet(bed.url)}\n`);
  await writeFile(path.join(root, ".terragate/config.yml"), stacks);
  await writeFile(
    path.join(root, ".gitignore"),
    ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
  );
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", "initial"]);
  bed.github.state
    .addRepo({ owner: "acme", name: "infra", installationId: 42 })
    .permissions.set("alice", "admin");
  await mirrorCommit(bed.github, repoFullName, root, "main");
});

afterAll(async () => {
  await bed?.close();
});

function lastDispatch(): FakeDispatch {
  const dispatch = bed.github.state.dispatches.at(-1);
  if (!dispatch) throw new Error("nothing was dispatched");
  return dispatch;
}

async function manifestDirs(dispatch: FakeDispatch): Promise<{ kind: string; dirs: string[] }> {
  const id = dispatch.inputs["work-manifest-id"]!;
  const [manifest] = await bed.database.client.sql<
    { kind: string }[]
  >`select kind from work_manifests where id = ${id}`;
  const rows = await bed.database.client.sql<{ dir: string }[]>`
    select dir from work_manifest_dirspaces where work_manifest_id = ${id} order by dir`;
  return { kind: manifest!.kind, dirs: rows.map((row) => row.dir) };
}

/** Runs the last dispatch with `terragate run` and reports it; returns what it ran. */
async function runLast(): Promise<{ kind: string; dirs: string[] }> {
  const dispatch = lastDispatch();
  const ran = await manifestDirs(dispatch);
  const run = await startRunner(root, home, dispatch);
  expect(run.exitCode, run.stderr).toBe(0);
  await bed.work();
  return ran;
}

async function sendComment(body: string): Promise<void> {
  const id = bed.github.state.addUserComment(repoFullName, 1, "alice", body);
  expect(await bed.send("issue_comment", commentEvent(1, { id, body, author: "alice" }))).toBe(202);
  await bed.work();
}

function botComment(kind: string): string {
  return (
    bed.github.state.botComments(repoFullName, 1).find((c) => c.body.includes(`terragate:${kind}:pr-1 -->`))
      ?.body ?? ""
  );
}

describe("a three-layer stack", { timeout: 180_000 }, () => {
  it("plans and applies layer by layer, refusing an apply out of order", async () => {
    await git(root, ["checkout", "-q", "-b", "feature"]);
    const files = {
      "live/network/main.tf": network,
      "live/app/main.tf": reader("app", "network"),
      "live/edge/main.tf": reader("edge", "app"),
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    }
    await git(root, ["add", "."]);
    await git(root, ["commit", "-q", "-m", "three layers"]);
    await mirrorCommit(bed.github, repoFullName, root, "feature");
    await git(root, ["checkout", "-q", "main"]);
    const pull = bed.github.state.openPullRequest(repoFullName, {
      number: 1,
      author: "alice",
      base: "main",
      head: "feature",
      files: Object.keys(files),
    });
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
    await bed.work();

    // Layer 1 only: app and edge would read state that does not exist yet.
    expect(await runLast()).toEqual({ kind: "plan", dirs: ["live/network"] });
    expect(botComment("plan")).toContain(
      "1. `live/network` (default) 📝 planned\n2. `live/app` (default) ⏳ waiting\n3. `live/edge` (default) ⏳ waiting",
    );

    const dispatches = bed.github.state.dispatches.length;
    await sendComment("terragate apply dir:live/app");
    expect(bed.github.state.dispatches.length).toBe(dispatches);
    expect(botComment("refusal")).toContain(
      "apply `live/network` (default) first: comment `terragate apply dir:live/network`",
    );

    // Each apply's report plans the next layer, which reads the outputs just applied.
    await sendComment("terragate apply dir:live/network");
    expect(await runLast()).toEqual({ kind: "apply", dirs: ["live/network"] });
    expect(await runLast()).toEqual({ kind: "plan", dirs: ["live/app"] });
    expect(botComment("plan")).toContain('input  = "10.0.0.0/16/app"');
    await sendComment("terragate apply dir:live/app");
    expect(await runLast()).toEqual({ kind: "apply", dirs: ["live/app"] });
    expect(await runLast()).toEqual({ kind: "plan", dirs: ["live/edge"] });
    await sendComment("terragate apply dir:live/edge");
    expect(await runLast()).toEqual({ kind: "apply", dirs: ["live/edge"] });

    const edge = JSON.parse(await readFile(path.join(root, "live/edge/terraform.tfstate"), "utf8")) as {
      outputs: { id: { value: string } };
    };
    expect(edge.outputs.id.value).toBe("10.0.0.0/16/app/edge");
    expect(botComment("apply")).toContain(
      "1. `live/network` (default) ✅ applied\n2. `live/app` (default) ✅ applied\n3. `live/edge` (default) ✅ applied",
    );
  });
});
