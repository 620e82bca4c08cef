import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { Hono } from "hono";
import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import { compressPages } from "../compress-pages.ts";
import type { DashboardEnv } from "../context.ts";
import { streamedPage } from "./pages.ts";

function appWith(body: () => AsyncIterable<string>, logged: unknown[] = []) {
  const logger = { error: (fields: unknown) => logged.push(fields) } as unknown as Logger;
  const app = new Hono<DashboardEnv>();
  app.use("*", compressPages());
  app.use("*", async (c, next) => {
    c.set("session", undefined);
    c.set("view", { assetVersion: "v1", timeZone: "UTC", csrfToken: undefined });
    await next();
  });
  app.get("/page", (c) => streamedPage(c, { title: "Run" }, body(), logger));
  return app;
}

describe("a streamed page", () => {
  it("sends the frame, every piece in order, and the frame's end", async () => {
    const app = appWith(async function* () {
      yield "<p>one</p>";
      yield "<p>two</p>";
    });
    const response = await app.request("/page");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    const html = await response.text();
    expect(html).toMatch(
      /^<!doctype html>[\s\S]*<title>Run · Terragate<\/title>[\s\S]*<main>\n<p>one<\/p><p>two<\/p>\n<\/main>\n<\/body>\n<\/html>$/,
    );
  });

  it("ends with a notice and a whole page when the body fails half-way, and logs why", async () => {
    const logged: unknown[] = [];
    const app = appWith(async function* () {
      yield "<p>sent</p>";
      throw new Error("connection lost");
    }, logged);
    const html = await (await app.request("/page")).text();
    expect(html).toContain("<p>sent</p>");
    expect(html).toContain("could not show the rest of this page");
    expect(html.endsWith("</main>\n</body>\n</html>")).toBe(true);
    expect(logged).toHaveLength(1);
    expect(String((logged[0] as { err: Error }).err)).toContain("connection lost");
  });

  it("is compressed as it is made, not held until its end", async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Incompressible, so the compressor has output to hand on before the body ends.
    const first = randomBytes(48_000).toString("base64");
    const app = appWith(async function* () {
      yield first;
      await released;
      yield "<p>last</p>";
    });
    const response = await Promise.race([
      app.request("/page", { headers: { "accept-encoding": "gzip" } }),
      new Promise<"held">((resolve) => setTimeout(() => resolve("held"), 2000)),
    ]);
    if (response === "held") throw new Error("the streamed page was held until its body ended");
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!];
    release();
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
    const html = gunzipSync(Buffer.concat(chunks)).toString();
    expect(html).toContain(first);
    expect(html).toMatch(/<p>last<\/p>\n<\/main>\n<\/body>\n<\/html>$/);
  });

  it("reads the body no faster than the reader takes it, and stops it when the reader leaves", async () => {
    let made = 0;
    let stopped = false;
    const app = appWith(async function* () {
      try {
        for (; made < 1000; ) {
          made += 1;
          yield "x".repeat(10_000);
        }
      } finally {
        stopped = true;
      }
    });
    const response = await app.request("/page");
    const reader = response.body!.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(made).toBeLessThan(10);
    await reader.cancel();
    expect(stopped).toBe(true);
    expect(made).toBeLessThan(10);
  });
});
