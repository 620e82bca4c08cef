// Compression of dashboard responses: a page made whole is compressed in one go and sent in one write; a streamed page compresses itself.
import { promisify } from "node:util";
import { deflate, deflateSync, gzip, gzipSync } from "node:zlib";
import type { MiddlewareHandler } from "hono";
import { parseAccept } from "hono/utils/accept";
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/utils/compress";

export type PageEncoding = "gzip" | "deflate";

/** Bodies smaller than this go as they are (hono's compress threshold). */
const minimumBytes = 1024;
/** Bodies up to this are compressed on the event loop (a 30 KB page in ~0.3 ms); larger ones on the thread pool. */
const syncMaximumBytes = 256 * 1024;

const compressNow: Record<PageEncoding, (body: Uint8Array) => Buffer> = {
  gzip: gzipSync,
  deflate: deflateSync,
};
const compressLater: Record<PageEncoding, (body: Uint8Array) => Promise<Buffer>> = {
  gzip: promisify(gzip),
  deflate: promisify(deflate),
};

/** The encoding to answer `Accept-Encoding` with, chosen as hono's compress chooses: gzip first, then the higher q. */
export function pickEncoding(acceptEncoding: string | undefined): PageEncoding | undefined {
  if (acceptEncoding === undefined) return undefined;
  const accepts = parseAccept(acceptEncoding);
  const wildcard = accepts.find((accept) => accept.type === "*")?.q;
  let best: { encoding: PageEncoding; q: number } | undefined;
  for (const encoding of ["gzip", "deflate"] as const) {
    const q = accepts.find((accept) => accept.type.toLowerCase() === encoding)?.q ?? wildcard ?? 0;
    if (q === 1) return encoding;
    if (q > 0 && (!best || q > best.q)) best = { encoding, q };
  }
  return best?.encoding;
}

/** `Vary: Accept-Encoding` added to what the response varies on already. */
export function varyOnEncoding(headers: Headers): void {
  const vary = headers.get("Vary");
  if (vary === "*" || (vary && /(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(vary))) return;
  headers.set("Vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding");
}

/**
 * Compresses every compressible dashboard response the client accepts compressed. hono's compress
 * pipes each body through a CompressionStream: a 30 KB page then costs several socket writes
 * (headers, then each compressed piece) and a few milliseconds of stream machinery on both ends,
 * a third of a PR page's server time. A page is a complete string, so it is compressed at once and
 * sent with its length in one write. A streamed response must compress itself (streamedPage does):
 * this reads the whole body, so it skips only responses that already carry a Content-Encoding.
 */
export function compressPages(): MiddlewareHandler {
  return async function compressPagesMiddleware(c, next) {
    await next();
    const response = c.res;
    const type = response.headers.get("Content-Type");
    const cacheControl = response.headers.get("Cache-Control") ?? "";
    if (
      c.req.method === "HEAD" ||
      response.status === 206 ||
      response.body === null ||
      response.headers.has("Content-Encoding") ||
      !type ||
      !COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) ||
      /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(cacheControl)
    ) {
      return;
    }
    varyOnEncoding(response.headers);
    const encoding = pickEncoding(c.req.header("Accept-Encoding"));
    if (!encoding) return;
    const body = new Uint8Array(await response.arrayBuffer());
    // Assigned to an empty slot: over a previous response, hono rebuilds the new one around its
    // body as a stream, and the server would send it in pieces again.
    c.res = undefined;
    if (body.byteLength < minimumBytes) {
      c.res = new Response(body, response);
      return;
    }
    const compressed =
      body.byteLength <= syncMaximumBytes ? compressNow[encoding](body) : await compressLater[encoding](body);
    const headers = new Headers(response.headers);
    headers.set("Content-Encoding", encoding);
    headers.set("Content-Length", String(compressed.byteLength));
    const etag = headers.get("ETag");
    if (etag && !etag.startsWith("W/")) headers.set("ETag", `W/${etag}`);
    c.res = new Response(compressed, { status: response.status, statusText: response.statusText, headers });
  };
}
