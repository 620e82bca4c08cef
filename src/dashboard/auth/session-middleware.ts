// Reads the session cookies on each dashboard request: a valid access token, else one refresh (rotating the token).
import type { MiddlewareHandler } from "hono";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { clearedSessionCookieLines, readCookie, sessionCookieLines } from "./cookies.ts";
import { createSessionVerifier, type SessionClaims } from "./session-token.ts";

export function sessionMiddleware(services: DashboardServices): MiddlewareHandler<DashboardEnv> {
  const { cookies, keyStore, sessions } = services;
  const verify = createSessionVerifier((kid) => keyStore.resolve(kid));
  return async (c, next) => {
    let session: SessionClaims | undefined;
    let cookieLines: string[] = [];
    const access = readCookie(c, cookies.access);
    if (access) {
      session = await verify(access).catch(() => undefined);
    }
    if (!session) {
      const refresh = readCookie(c, cookies.refresh);
      if (refresh) {
        const outcome = await sessions.refresh(refresh);
        if (outcome.kind === "refreshed") {
          cookieLines = sessionCookieLines(cookies, outcome.session);
          session = outcome.session.claims;
        } else {
          cookieLines = clearedSessionCookieLines(cookies);
        }
      } else if (access) {
        cookieLines = clearedSessionCookieLines(cookies);
      }
    }
    c.set("session", session);
    await next();
    // Added to whatever response the page ended with (a thrown 404 or redirect included), unless the
    // route set session cookies itself (sign-in, sign-out): a rotated refresh token must never be lost.
    const already = c.res.headers.getSetCookie().some((line) => line.startsWith(`${cookies.refresh}=`));
    if (!already) for (const line of cookieLines) c.res.headers.append("Set-Cookie", line);
  };
}
