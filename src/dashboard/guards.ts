// Route guards: a signed-in person (else sign-in, then back), an installation they belong to (else 404, like the API).

import { and, eq, isNull, sql } from "drizzle-orm";
import type { Context } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import type { DatabaseClient } from "../db/client.ts";
import { installations } from "../db/schema/index.ts";
import type { Vcs } from "../vcs/types.ts";
import type { SessionClaims } from "./auth/session-token.ts";
import type { DashboardEnv, DashboardServices } from "./context.ts";
import { htmlResponse, messagePage } from "./views/pages.ts";

export interface DashboardInstallation {
  id: number;
  vcs: Vcs;
  externalId: string;
  accountLogin: string;
  accountType: string;
  suspendedAt: Date | null;
  /** The signed-in person may manage its API keys. */
  admin: boolean;
  /** `/i/{vcs}/{externalId}`: the prefix of every page of this installation. */
  base: string;
}

/** The signed-in person; otherwise the sign-in page (which comes back here), or 401 for scripts. */
export function requireSession(c: Context<DashboardEnv>): SessionClaims {
  const session = c.get("session");
  if (session) return session;
  const url = new URL(c.req.url);
  if (c.req.method === "GET" && !(c.req.header("accept") ?? "").includes("application/json")) {
    const next = `${url.pathname}${url.search}`;
    throw new HTTPException(302, { res: c.redirect(`/?next=${encodeURIComponent(next)}`, 302) });
  }
  throw new HTTPException(401, {
    res: c.json({ error: { code: "unauthorized", message: "sign in again" } }, 401),
  });
}

export function notFoundPage(c: Context<DashboardEnv>, what = "This page"): never {
  throw new HTTPException(404, {
    res: htmlResponse(
      messagePage(
        c,
        "Not found",
        html`<p>${what} does not exist or is not yours to see.</p><p><a href="/">Your installations</a></p>`,
      ),
      404,
    ),
  });
}

const installationLookups = new WeakMap<DatabaseClient, ReturnType<typeof prepareInstallationLookup>>();

/**
 * Every installation page's first query, built once and prepared: unprepared, postgres.js asks for
 * its parameter types before sending it (two round trips per page instead of one).
 */
function prepareInstallationLookup(database: DatabaseClient) {
  return database.db
    .select({
      id: installations.id,
      externalId: installations.externalId,
      accountLogin: installations.accountLogin,
      accountType: installations.accountType,
      suspendedAt: installations.suspendedAt,
    })
    .from(installations)
    .where(
      and(
        eq(installations.vcs, sql.placeholder("vcs")),
        eq(installations.externalId, sql.placeholder("externalId")),
        isNull(installations.deletedAt),
      ),
    )
    .prepare("dashboard_installation");
}

function installationLookup(database: DatabaseClient) {
  let lookup = installationLookups.get(database);
  if (!lookup) {
    lookup = prepareInstallationLookup(database);
    installationLookups.set(database, lookup);
  }
  return lookup;
}

/** The installation of a `/i/{vcs}/{id}` URL if the person belongs to it; any other answers 404, exactly like a missing one. */
export async function requireInstallation(
  c: Context<DashboardEnv>,
  services: DashboardServices,
): Promise<DashboardInstallation> {
  const session = requireSession(c);
  const vcs = c.req.param("vcs");
  const externalId = c.req.param("installation");
  if ((vcs !== "github" && vcs !== "gitlab") || !externalId || vcs !== session.vcs)
    notFoundPage(c, "This installation");
  const [row] = await installationLookup(services.deps.database).execute({ vcs, externalId });
  const membership = row && session.memberships.find((candidate) => candidate.installationId === row.id);
  if (!row || !membership) notFoundPage(c, "This installation");
  return {
    ...row,
    vcs,
    admin: membership.admin,
    base: `/i/${vcs}/${encodeURIComponent(row.externalId)}`,
  };
}

/** Refuses a state-changing request without a valid CSRF token from this origin, or from a session that ended. */
export async function requireCsrf(
  c: Context<DashboardEnv>,
  services: DashboardServices,
  formToken: string | undefined,
): Promise<SessionClaims> {
  const session = requireSession(c);
  const problem = services.csrf.problem(c, session.sessionId, formToken);
  if (problem) {
    throw new HTTPException(403, {
      res: htmlResponse(messagePage(c, "Refused", html`<p>${problem}.</p>`), 403),
    });
  }
  // Actions check the session itself, not only the access cookie: a sign-out elsewhere stops them at once.
  if (!(await services.sessions.isLive(session.sessionId))) {
    throw new HTTPException(401, {
      res: htmlResponse(
        messagePage(c, "Signed out", html`<p>This session has ended. <a href="/">Sign in again</a>.</p>`),
        401,
      ),
    });
  }
  return session;
}
