// The server serves the GitLab CI component and the one-file runner it downloads: the files of its own checkout, with their SHA-256.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitlabCiSnippet } from "../../src/vcs/gitlab/ci-snippet.ts";
import { createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";

let bed: GitlabBed;

beforeAll(async () => {
  bed = await createGitlabBed();
});
afterAll(async () => {
  await bed?.close();
});

const root = new URL("../../", import.meta.url);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("the CI files Terragate serves", () => {
  it("serves the runner bundle and the component byte for byte, naming their SHA-256", async () => {
    for (const [name, source, type] of [
      ["terragate-run.js", "action/dist/terragate-run.js", "text/javascript"],
      ["terragate.yml", "templates/terragate.yml", "text/yaml"],
    ] as const) {
      const response = await bed.app.request(`/api/gitlab/v1/ci/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain(type);
      const body = new Uint8Array(await response.arrayBuffer());
      const expected = readFileSync(new URL(source, root));
      expect(sha256(body)).toBe(sha256(expected));
      expect(response.headers.get("x-terragate-sha256")).toBe(sha256(expected));
      const again = await bed.app.request(`/api/gitlab/v1/ci/${name}`, {
        headers: { "if-none-match": response.headers.get("etag") ?? "" },
      });
      expect(again.status).toBe(304);
    }
  });

  it("is where the .gitlab-ci.yml it tells projects to add includes the component from", () => {
    expect(gitlabCiSnippet("https://terragate.acme.dev/")).toContain(
      "- remote: https://terragate.acme.dev/api/gitlab/v1/ci/terragate.yml",
    );
  });

  it("serves nothing else from its checkout", async () => {
    for (const path of [
      "/api/gitlab/v1/ci/package.json",
      "/api/gitlab/v1/ci/..%2F..%2Fpackage.json",
      "/api/gitlab/v1/ci/%2E%2E%2Fsrc%2Fmain.ts",
    ]) {
      const response = await bed.app.request(path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain('"name": "terragate"');
    }
  });
});
