// The dashboard's cookies: names (__Host- behind https), flags, and setting or clearing the session pair.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { serialize } from "hono/utils/cookie";
import { REFRESH_TOKEN_TTL_SECONDS } from "./sessions.ts";

export interface CookieNames {
  access: string;
  refresh: string;
  oauth: string;
  secure: boolean;
}

/** Behind https the cookies are Secure and `__Host-` prefixed (no Domain, Path=/), so no subdomain can set them. */
export function cookieNames(publicUrl: string): CookieNames {
  const secure = publicUrl.startsWith("https://");
  const prefix = secure ? "__Host-" : "";
  return {
    access: `${prefix}tg_session`,
    refresh: `${prefix}tg_refresh`,
    oauth: `${prefix}tg_oauth`,
    secure,
  };
}

function flags(names: CookieNames, maxAge: number) {
  return { httpOnly: true, secure: names.secure, sameSite: "Lax" as const, path: "/", maxAge };
}

export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name);
}

/** Set-Cookie lines for the access cookie, and the refresh cookie when a new refresh token was issued. */
export function sessionCookieLines(
  names: CookieNames,
  session: { accessToken: string; refreshToken: string | null },
): string[] {
  // The access cookie outlives its token so that an expired token (not a missing cookie) triggers the refresh.
  const lines = [serialize(names.access, session.accessToken, flags(names, REFRESH_TOKEN_TTL_SECONDS))];
  if (session.refreshToken !== null) {
    lines.push(serialize(names.refresh, session.refreshToken, flags(names, REFRESH_TOKEN_TTL_SECONDS)));
  }
  return lines;
}

export function clearedSessionCookieLines(names: CookieNames): string[] {
  return [names.access, names.refresh].map((name) => serialize(name, "", flags(names, 0)));
}

export function setSessionCookies(
  c: Context,
  names: CookieNames,
  session: { accessToken: string; refreshToken: string | null },
): void {
  for (const line of sessionCookieLines(names, session)) c.header("Set-Cookie", line, { append: true });
}

export function clearSessionCookies(c: Context, names: CookieNames): void {
  for (const name of [names.access, names.refresh]) {
    deleteCookie(c, name, { path: "/", secure: names.secure });
  }
}

export function setOAuthCookie(c: Context, names: CookieNames, value: string, maxAge: number): void {
  setCookie(c, names.oauth, value, flags(names, maxAge));
}

export function clearOAuthCookie(c: Context, names: CookieNames): void {
  deleteCookie(c, names.oauth, { path: "/", secure: names.secure });
}
