// The dashboard's stylesheet and script: hand-written files served from memory, immutable under their content hash.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";

export interface DashboardAssets {
  /** Short content hash of both files, put in their URLs so a new release is fetched at once. */
  version: string;
  routes: Hono;
}

const files = {
  "dashboard.css": "text/css; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
} as const;

export function loadAssets(): DashboardAssets {
  const contents = Object.fromEntries(
    Object.keys(files).map((name) => [
      name,
      readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8"),
    ]),
  ) as Record<keyof typeof files, string>;
  const version = createHash("sha256")
    .update(Object.values(contents).join("\u0000"))
    .digest("hex")
    .slice(0, 12);
  const routes = new Hono();
  routes.get("/assets/:name", (c) => {
    const name = c.req.param("name") as keyof typeof files;
    if (!(name in files)) return c.notFound();
    const etag = `"${version}"`;
    c.header("ETag", etag);
    c.header(
      "Cache-Control",
      c.req.query("v") === version
        ? "public, max-age=31536000, immutable"
        : "public, max-age=0, must-revalidate",
    );
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    c.header("Content-Type", files[name]);
    return c.body(contents[name]);
  });
  return { version, routes };
}
