// Rendering whole pages from a route: the frame filled from the request's view context, and plain message pages.
import type { Context } from "hono";
import { html } from "hono/html";
import type { Logger } from "pino";
import { pickEncoding, varyOnEncoding } from "../compress-pages.ts";
import type { DashboardEnv } from "../context.ts";
import { type Crumb, type Html, layout, layoutEnd, layoutStart, type Tab } from "./layout.ts";

export interface PageInput {
  title: string;
  crumbs?: Crumb[];
  tabs?: Tab[];
  live?: { stateUrl: string; version: string };
  body: Html;
}

/** A full page for this request: the signed-in person, CSRF token, asset version and time zone come from context. */
export function page(c: Context<DashboardEnv>, input: PageInput): Html {
  const view = c.get("view");
  return layout({
    ...input,
    session: c.get("session"),
    csrfToken: view.csrfToken,
    assetVersion: view.assetVersion,
    timeZone: view.timeZone,
  });
}

/** Pieces of a streamed page are sent once this many characters are ready (or the body ends). */
const streamedPieceChars = 16 * 1024;

/**
 * A page sent as its body is made: the frame's start at once, then each piece `body` yields, then the
 * frame's end, with back-pressure (the body is not read ahead of a slow reader, and stops if it
 * leaves). A body that fails half-way cannot change the status any more: the page says so and ends.
 */
export function streamedPage(
  c: Context<DashboardEnv>,
  input: Omit<PageInput, "body">,
  body: AsyncIterable<string>,
  logger: Logger,
): Response {
  const view = c.get("view");
  const start = layoutStart({
    ...input,
    session: c.get("session"),
    csrfToken: view.csrfToken,
    assetVersion: view.assetVersion,
    timeZone: view.timeZone,
  }).toString();
  const pieces = body[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let pending = start;
  let ended = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (!ended && pending.length < streamedPieceChars) {
          const next = await pieces.next();
          if (next.done) ended = true;
          else pending += next.value;
        }
      } catch (error) {
        logger.error({ err: error, path: c.req.path }, "dashboard page failed while streaming");
        pending += `<p class="notice error" role="alert">The server could not show the rest of this page; its log has the details.</p>`;
        ended = true;
      }
      if (ended) pending += layoutEnd;
      controller.enqueue(encoder.encode(pending));
      pending = "";
      if (ended) controller.close();
    },
    async cancel() {
      await pieces.return?.();
    },
  });
  // Compressed here, piece by piece as it is made (compressPages would read the whole page first).
  const headers = new Headers({ "content-type": "text/html; charset=UTF-8" });
  varyOnEncoding(headers);
  const encoding = pickEncoding(c.req.header("accept-encoding"));
  if (!encoding) return new Response(stream, { headers });
  headers.set("content-encoding", encoding);
  return new Response(stream.pipeThrough(new CompressionStream(encoding)), { headers });
}

/** A page that only says something (errors, sign-in problems). */
export function messagePage(c: Context<DashboardEnv>, title: string, body: Html): Html {
  return page(c, { title, body: html`<h1>${title}</h1>${body}` });
}

/** A ready Response for a view (dashboard views are synchronous), e.g. to throw from a guard. */
export function htmlResponse(content: Html, status = 200): Response {
  if (content instanceof Promise) throw new Error("dashboard views must not be asynchronous");
  return new Response(content.toString(), {
    status,
    headers: { "content-type": "text/html; charset=UTF-8" },
  });
}
