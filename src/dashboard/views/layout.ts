// The page frame every dashboard page shares: head, top bar with the signed-in person and sign-out, crumbs, tabs.
import { html, raw } from "hono/html";
import type { SessionClaims } from "../auth/session-token.ts";

export type Html = ReturnType<typeof html>;

export interface Crumb {
  label: string;
  href?: string;
}

export interface Tab {
  label: string;
  href: string;
  current: boolean;
}

export interface PageFrame {
  title: string;
  session: SessionClaims | undefined;
  csrfToken: string | undefined;
  assetVersion: string;
  /** The time zone times are shown in (the browser's, remembered by the script). */
  timeZone: string;
  crumbs?: Crumb[];
  tabs?: Tab[];
  /** Extra attributes of <main> (live updates). */
  live?: { stateUrl: string; version: string };
  body: Html;
}

export function layout(frame: PageFrame): Html {
  return html`${layoutStart(frame)}${frame.body}${raw(layoutEnd)}`;
}

/** Everything after the body: a streamed page sends it last. */
export const layoutEnd = "\n</main>\n</body>\n</html>";

/** Everything before the body, up to and with `<main>`: a streamed page sends it first. */
export function layoutStart(frame: Omit<PageFrame, "body">): Html {
  const { session } = frame;
  return html`<!doctype html>
<html lang="en" data-tz="${frame.timeZone}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Terragate</title>
${frame.csrfToken ? html`<meta name="csrf-token" content="${frame.csrfToken}">` : ""}
<link rel="stylesheet" href="/assets/dashboard.css?v=${frame.assetVersion}">
<script src="/assets/dashboard.js?v=${frame.assetVersion}" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="/">Terragate</a>
${
  session
    ? html`<span class="who"><span>${session.vcs === "github" ? "GitHub" : "GitLab"} · <strong>${session.login}</strong></span>
${session.serverAdmin ? html`<a href="/admin">Admin</a>` : ""}
<form class="inline" method="post" action="/auth/sign-out"><input type="hidden" name="_csrf" value="${frame.csrfToken ?? ""}"><button type="submit">Sign out</button></form></span>`
    : ""
}
</header>
${
  frame.crumbs && frame.crumbs.length > 0
    ? html`<nav class="crumbs" aria-label="Breadcrumb">${frame.crumbs.map(
        (crumb, index) =>
          html`${index > 0 ? " / " : ""}${crumb.href ? html`<a href="${crumb.href}">${crumb.label}</a>` : crumb.label}`,
      )}</nav>`
    : ""
}
${
  frame.tabs
    ? html`<nav class="tabs" aria-label="Sections">${frame.tabs.map(
        (tab) => html`<a href="${tab.href}"${tab.current ? html` aria-current="page"` : ""}>${tab.label}</a>`,
      )}</nav>`
    : ""
}
<main${frame.live ? html` data-live="${frame.live.stateUrl}" data-version="${frame.live.version}"` : ""}>
`;
}
