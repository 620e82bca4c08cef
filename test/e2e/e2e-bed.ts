// End-to-end helpers: the test bed served over HTTP, a fake GitHub mirroring a real git repository, runner processes.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { FakeGithub } from "../fakes/github/server.ts";
import { createTestbed, type Testbed, type TestbedOptions } from "../github/testbed.ts";
import { terragateBin } from "../harness/cli-entry.ts";
import { git, readBlobs, runnerEnv } from "../runner/runner-fixtures.ts";

/** The test bed serving the app over HTTP, so that `terragate run` processes can call it. */
export type E2eBed = Testbed;
export type E2eBedOptions = Omit<TestbedOptions, "serve">;

export function createE2eBed(options: E2eBedOptions = {}): Promise<E2eBed> {
  return createTestbed({ ...options, serve: true });
}

/** Copies the files of a real commit into the fake GitHub under the same sha, and points `branch` at it. */
export async function mirrorCommit(
  github: FakeGithub,
  fullName: string,
  root: string,
  branch: string,
): Promise<string> {
  const sha = await git(root, ["rev-parse", branch]);
  const paths = (await git(root, ["ls-tree", "-r", "--name-only", sha])).split("\n").filter(Boolean);
  github.state.commits.set(sha, await readBlobs(root, sha, paths));
  github.state.repo(fullName).branches.set(branch, sha);
  return sha;
}

export interface RunnerProcess {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** `terragate run` as the dispatched CI run would start it: its inputs and run id, cwd = the checkout. */
export function startRunner(
  checkout: string,
  home: string,
  dispatch: { inputs: Record<string, string>; runId: number },
  options: { detached?: boolean; env?: Record<string, string> } = {},
) {
  const { inputs } = dispatch;
  return execa("node", [terragateBin, "run"], {
    cwd: checkout,
    reject: false,
    extendEnv: false,
    detached: options.detached ?? false,
    env: {
      ...runnerEnv(home),
      TERRAGATE_API_URL: inputs["api-base-url"] ?? "",
      TERRAGATE_WORK_MANIFEST_ID: inputs["work-manifest-id"] ?? "",
      TERRAGATE_WORK_TOKEN: inputs["work-token"] ?? "",
      GITHUB_RUN_ID: String(dispatch.runId),
      ...options.env,
    },
  });
}

export async function readState(root: string, dir: string): Promise<{ resources: Array<{ name: string }> }> {
  return JSON.parse(await readFile(path.join(root, dir, "terraform.tfstate"), "utf8"));
}
