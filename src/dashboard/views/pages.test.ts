import { Hono } from "hono";
import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import type { DashboardEnv } from "../context.ts";
import { streamedPage } from "./pages.ts";

function appWith(body: () => AsyncIterable<string>, logged: unknown[] = []) {
  const logger = { error: (fields: unknown) => logged.push(fields) } as unknown as Logger;
  const app = new Hono<DashboardEnv>();
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
