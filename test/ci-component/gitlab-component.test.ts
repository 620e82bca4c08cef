// The GitLab CI component (templates/terragate.yml) with the README's .gitlab-ci.yml, run offline by gitlab-ci-local in shell mode.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const gitlabCiLocal = join(root, "node_modules/gitlab-ci-local/dist/index.js");

/** The README's `.gitlab-ci.yml`, to the letter. */
function readmeGitlabCi(): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /```yaml\n(# \.gitlab-ci\.yml[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("the README has no ```yaml block starting with `# .gitlab-ci.yml`");
  return block;
}

let project: string;

/** A stand-in for `terragate run`, served as the runner file: records its arguments and environment, prints result lines, exits as told. */
const fakeTerragate = `
import fs from "node:fs";
fs.writeFileSync("fake-terragate.json", JSON.stringify({
  args: process.argv.slice(2),
  manifest: process.env.TERRAGATE_WORK_MANIFEST_ID,
  token: process.env.TERRAGATE_WORK_TOKEN,
  vcs: process.env.TERRAGATE_VCS,
}));
console.log("ok infra/a (default) (+1 ~0 -0)");
if (process.env.FAKE_FAIL) { console.log("FAILED infra/b (prod)"); process.exit(1); }
`;

let runnerServer: Server;
/** The runner server's base URL: it also plays the Terragate server, which serves the file at its own path. */
let serverBase: string;
const servedPaths = ["/api/gitlab/v1/ci/terragate-run.js"];
const downloads: string[] = [];

beforeAll(async () => {
  // The file the component downloads (its runner_url), from a local server: the test runs offline.
  runnerServer = createServer((request, response) => {
    if (!servedPaths.includes(request.url ?? "")) {
      response.writeHead(404).end();
      return;
    }
    downloads.push(request.url ?? "");
    response.writeHead(200, { "content-type": "text/javascript" }).end(fakeTerragate);
  });
  await new Promise<void>((resolve) => runnerServer.listen(0, "127.0.0.1", resolve));
  serverBase = `http://127.0.0.1:${(runnerServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => runnerServer.close(() => resolve()));
});

beforeEach(async () => {
  project = mkdtempSync(join(tmpdir(), "terragate-component-"));
  mkdirSync(join(project, "templates"));
  copyFileSync(join(root, "templates/terragate.yml"), join(project, "templates/terragate.yml"));
  // The README's file, with the include pointed at this checkout and server_url at the stand-in server, which
  // serves the stand-in for terragate where Terragate serves its runner: runner_url is left unset, as the README leaves it.
  const ci = readmeGitlabCi()
    .replace(/- remote: \S+/, "- local: templates/terragate.yml")
    .replace(
      /( +)server_url: (\S+)\n/,
      `$1server_url: ${serverBase}/\n$1runner_sha256: ${createHash("sha256").update(fakeTerragate).digest("hex")}\n$1terraform_version: ""\n`,
    );
  downloads.length = 0;
  writeFileSync(join(project, ".gitlab-ci.yml"), ci);
  const git = (...args: string[]) =>
    run("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: project });
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-qm", "init");
  await git("remote", "add", "origin", "https://gitlab.example.com/acme/infra.git");
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

async function gitlabCi(args: string[]) {
  try {
    const { stdout } = await run(process.execPath, [gitlabCiLocal, "--json-schema-validation", ...args], {
      cwd: project,
      timeout: 60_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

function jobs(listJson: string): Array<{ name: string; when: string }> {
  return JSON.parse(listJson.slice(listJson.indexOf("["))) as Array<{ name: string; when: string }>;
}

// Each test runs gitlab-ci-local (a large Node program) once or twice, each run with its own 60 s timeout:
// the test's budget covers them, instead of the 30 s meant for in-process tests cutting one short unexplained.
describe("GitLab CI component", { timeout: 150_000 }, () => {
  it("passes GitLab's CI schema and stays out of pipelines Terragate did not create", async () => {
    const listed = await gitlabCi(["--list-json"]);
    expect(listed.code).toBe(0);
    expect(jobs(listed.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "terragate", when: "never" }),
        expect.objectContaining({ name: "lint", when: "on_success" }),
      ]),
    );
  });

  it("runs terragate with the pipeline's inputs, the pinned server URL, and writes a job summary", async () => {
    const inputs = [
      "--input",
      "terragate_work_manifest_id=wm-1",
      "--input",
      "terragate_work_token=tok-1",
      "--input",
      "terragate_api_url=https://attacker.example",
    ];
    const listed = jobs((await gitlabCi(["--list-json", ...inputs])).stdout);
    expect(listed.find((job) => job.name === "lint")?.when).toBe("never");
    const result = await gitlabCi(["--force-shell-executor", ...inputs, "terragate"]);
    expect(result.code).toBe(0);
    const seen = JSON.parse(readFileSync(join(project, "fake-terragate.json"), "utf8"));
    // Downloaded from server_url (the Terragate server serves the runner of its own version).
    expect(downloads).toEqual(["/api/gitlab/v1/ci/terragate-run.js"]);
    expect(seen).toEqual({
      args: ["run", "--vcs", "gitlab", "--api-url", `${serverBase}/`],
      manifest: "wm-1",
      token: "tok-1",
      vcs: "gitlab",
    });
    const summary = readFileSync(join(project, "terragate-summary.md"), "utf8");
    expect(summary).toContain("Work manifest `wm-1`");
    expect(summary).toContain("| ok | infra/a (default) (+1 ~0 -0) |");
  });

  it("runs with pipeline variables where the project's CI config receives no inputs", async () => {
    const variables = [
      "--variable",
      "TERRAGATE_WORK_MANIFEST_ID=wm-2",
      "--variable",
      "TERRAGATE_WORK_TOKEN=tok-2",
    ];
    const result = await gitlabCi(["--force-shell-executor", ...variables, "terragate"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(join(project, "fake-terragate.json"), "utf8"))).toMatchObject({
      manifest: "wm-2",
      token: "tok-2",
    });
  });

  it("fails the job when a dirspace fails, and the summary says which", async () => {
    const result = await gitlabCi([
      "--force-shell-executor",
      "--input",
      "terragate_work_manifest_id=wm-3",
      "--variable",
      "FAKE_FAIL=1",
      "terragate",
    ]);
    expect(result.code).not.toBe(0);
    expect(readFileSync(join(project, "terragate-summary.md"), "utf8")).toContain(
      "| FAILED | infra/b (prod) |",
    );
  });
});
