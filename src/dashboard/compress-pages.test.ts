import { gunzipSync, inflateSync } from "node:zlib";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { compressPages, pickEncoding } from "./compress-pages.ts";

const page = `<!doctype html><title>PR</title>${"<tr><td>infra/stack</td><td>changes</td></tr>\n".repeat(400)}`;

function app() {
  const app = new Hono();
  app.use("*", compressPages());
  app.get("/page", (c) => c.html(page));
  app.get("/tiny", (c) => c.html("<p>hi</p>"));
  app.get("/state", (c) => c.json({ version: "x".repeat(2000), live: false }));
  app.get("/asset", (c) => {
    c.header("ETag", '"abc123"');
    c.header("Content-Type", "text/css; charset=utf-8");
    return c.body("a { color: red }\n".repeat(200));
  });
  app.get("/image", (c) => {
    c.header("Content-Type", "image/png");
    return c.body(new Uint8Array(4096).fill(1));
  });
  return app;
}

const get = (path: string, acceptEncoding?: string) =>
  app().request(path, { headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } });

describe("compressPages", () => {
  it("sends a page compressed in one piece, with its length", async () => {
    const response = await get("/page", "gzip, deflate, br");
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    expect(response.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    const body = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get("content-length"))).toBe(body.byteLength);
    expect(body.byteLength).toBeLessThan(page.length / 10);
    expect(gunzipSync(body).toString()).toBe(page);
  });

  it("uses deflate when only deflate is accepted, and sends the page as it is when nothing is", async () => {
    const deflated = await get("/page", "deflate");
    expect(deflated.headers.get("content-encoding")).toBe("deflate");
    expect(inflateSync(Buffer.from(await deflated.arrayBuffer())).toString()).toBe(page);
    for (const accept of [undefined, "identity", "br"]) {
      const plain = await get("/page", accept);
      expect(plain.headers.get("content-encoding")).toBeNull();
      expect(await plain.text()).toBe(page);
    }
    // Caches still learn that the answer depends on the header.
    expect((await get("/page")).headers.get("vary")).toBe("Accept-Encoding");
  });

  it("compresses JSON and stylesheets (a strong ETag becomes weak), not small bodies or images", async () => {
    const state = await get("/state", "gzip");
    expect(state.headers.get("content-encoding")).toBe("gzip");
    expect(JSON.parse(gunzipSync(Buffer.from(await state.arrayBuffer())).toString()).live).toBe(false);
    const asset = await get("/asset", "gzip");
    expect(asset.headers.get("content-encoding")).toBe("gzip");
    expect(asset.headers.get("etag")).toBe('W/"abc123"');
    const tiny = await get("/tiny", "gzip");
    expect(tiny.headers.get("content-encoding")).toBeNull();
    expect(await tiny.text()).toBe("<p>hi</p>");
    const image = await get("/image", "gzip");
    expect(image.headers.get("content-encoding")).toBeNull();
    expect((await image.arrayBuffer()).byteLength).toBe(4096);
  });
});

describe("pickEncoding", () => {
  it("prefers gzip, then the higher q, and refuses what is turned off", () => {
    expect(pickEncoding("gzip, deflate, br")).toBe("gzip");
    expect(pickEncoding("deflate, gzip;q=0.5")).toBe("deflate");
    expect(pickEncoding("gzip;q=0, deflate;q=0.2")).toBe("deflate");
    expect(pickEncoding("*")).toBe("gzip");
    expect(pickEncoding("br, identity")).toBeUndefined();
    expect(pickEncoding(undefined)).toBeUndefined();
  });
});
