// Making sure the checkout is at the manifest's head sha: fetch it (fork PRs too) and detach onto it.
import { execa } from "execa";
import { ciPlatforms } from "../vcs/ci.ts";
import type { Manifest } from "./protocol.ts";

export class CheckoutError extends Error {
  override name = "CheckoutError";
}

async function git(cwd: string, env: Record<string, string>, args: string[]) {
  return execa("git", args, { cwd, env, extendEnv: false, reject: false, stdin: "ignore", timeout: 600_000 });
}

/** Ref under which a PR's head is published, reachable even when the PR comes from a fork. */
function pullRequestRef(manifest: Manifest): string | undefined {
  if (manifest.pull_request === null) return undefined;
  return ciPlatforms[manifest.repository.vcs].pullRequestRef(manifest.pull_request);
}

/** Returns the sha the checkout was at; afterwards HEAD is the manifest's head sha. */
export async function ensureCheckout(
  repoRoot: string,
  manifest: Manifest,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<{ previousSha: string; moved: boolean }> {
  const head = await git(repoRoot, env, ["rev-parse", "HEAD"]);
  if (head.exitCode !== 0) {
    throw new CheckoutError(
      `${repoRoot} is not a git checkout (${String(head.stderr).trim()}); run the runner from the repository's root, e.g. after actions/checkout`,
    );
  }
  const previousSha = String(head.stdout).trim();
  const want = manifest.head.sha;
  if (previousSha === want) return { previousSha, moved: false };

  const present = await git(repoRoot, env, ["cat-file", "-e", `${want}^{commit}`]);
  if (present.exitCode !== 0) {
    const shallow = String(
      (await git(repoRoot, env, ["rev-parse", "--is-shallow-repository"])).stdout,
    ).trim();
    const depth = shallow === "true" ? ["--depth=1"] : [];
    log(`fetching ${want.slice(0, 12)} (the checkout is at ${previousSha.slice(0, 12)})`);
    let fetched = await git(repoRoot, env, ["fetch", "--no-tags", ...depth, "origin", want]);
    const prRef = pullRequestRef(manifest);
    if (fetched.exitCode !== 0 && prRef) {
      fetched = await git(repoRoot, env, ["fetch", "--no-tags", ...depth, "origin", prRef]);
    }
    const check = await git(repoRoot, env, ["cat-file", "-e", `${want}^{commit}`]);
    if (check.exitCode !== 0) {
      throw new CheckoutError(
        `commit ${want} could not be fetched from origin (${String(fetched.stderr).trim().split("\n").at(-1) ?? ""}); check the workflow's checkout step can read the PR's commits`,
      );
    }
  }
  const switched = await git(repoRoot, env, ["checkout", "--detach", want]);
  if (switched.exitCode !== 0) {
    throw new CheckoutError(
      `could not check out ${want}: ${String(switched.stderr).trim().split("\n").slice(-3).join(" ")}; the working tree must be clean`,
    );
  }
  return { previousSha, moved: true };
}
