// Rendering whole pages from a route: the frame filled from the request's view context, and plain message pages.
import type { Context } from "hono";
import { html } from "hono/html";
import type { DashboardEnv } from "../context.ts";
import { type Crumb, type Html, layout, type Tab } from "./layout.ts";

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
