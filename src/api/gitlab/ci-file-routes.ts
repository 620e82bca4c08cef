// GET /api/gitlab/v1/ci/terragate.yml and …/ci/terragate-run.js: the CI component and the one-file runner, served by
// the server itself, so that a project includes and downloads them from the Terragate it talks to (same version) and needs no release.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Hono } from "hono";

interface CiFile {
  location: URL;
  contentType: string;
  /** What to do when the file is missing from this installation of Terragate. */
  missing: string;
}

const ciFiles: Record<string, CiFile> = {
  "terragate.yml": {
    location: new URL("../../../templates/terragate.yml", import.meta.url),
    contentType: "text/yaml; charset=utf-8",
    missing: "templates/terragate.yml is missing from this installation of Terragate",
  },
  "terragate-run.js": {
    location: new URL("../../../action/dist/terragate-run.js", import.meta.url),
    contentType: "text/javascript; charset=utf-8",
    missing:
      "action/dist/terragate-run.js is missing from this installation of Terragate; build it with `npm run build:action`",
  },
};

/** Where a server serves the component and the runner: `${serverUrl}${ciFilePath(name)}`. */
export function ciFilePath(name: "terragate.yml" | "terragate-run.js"): string {
  return `/api/gitlab/v1/ci/${name}`;
}

export function createCiFileRoutes(): Hono {
  // The files change only with a new release of the server: their digests are computed once.
  const digests = new Map<string, string>();
  return new Hono().get("/ci/:file", async (c) => {
    const name = c.req.param("file");
    const file = ciFiles[name];
    if (!file) {
      return c.json({ error: `no CI file ${name}; served: ${Object.keys(ciFiles).join(", ")}` }, 404);
    }
    let body: Buffer;
    try {
      body = await readFile(file.location);
    } catch {
      return c.json({ error: file.missing }, 404);
    }
    let digest = digests.get(name);
    if (digest === undefined) {
      digest = createHash("sha256").update(body).digest("hex");
      digests.set(name, digest);
    }
    const headers = {
      "content-type": file.contentType,
      "cache-control": "public, max-age=300",
      etag: `"${digest}"`,
      // What the component's runner_sha256 input pins.
      "x-terragate-sha256": digest,
    };
    if (c.req.header("if-none-match") === `"${digest}"`) return c.body(null, 304, headers);
    return c.body(new Uint8Array(body), 200, headers);
  });
}
