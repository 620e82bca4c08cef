// CSRF protection for every state-changing dashboard request: same-origin check plus a token bound to the session.
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";

export interface CsrfGuard {
  /** The token to put in forms (`_csrf`) and in the page's meta tag (for the `x-csrf-token` header). */
  tokenFor(sessionId: string): string;
  /** Why the request must be refused, or null when it carries a valid token from this origin. */
  problem(c: Context, sessionId: string, formToken: string | undefined): string | null;
}

export function createCsrfGuard(encryptionKey: Buffer, publicUrl: string): CsrfGuard {
  const key = Buffer.from(hkdfSync("sha256", encryptionKey, "", "terragate dashboard csrf", 32));
  const origin = new URL(publicUrl).origin;
  // Every page puts the token in its forms: remembered per session rather than computed each time.
  const tokens = new Map<string, string>();
  const tokenFor = (sessionId: string) => {
    let token = tokens.get(sessionId);
    if (token === undefined) {
      token = createHmac("sha256", key).update(sessionId).digest("base64url");
      if (tokens.size >= 1000) tokens.delete(tokens.keys().next().value!);
      tokens.set(sessionId, token);
    }
    return token;
  };
  return {
    tokenFor,
    problem(c, sessionId, formToken) {
      const requestOrigin = c.req.header("origin");
      if (requestOrigin !== undefined && requestOrigin !== origin) {
        return `cross-origin request from ${requestOrigin}`;
      }
      if (requestOrigin === undefined && c.req.header("sec-fetch-site") === "cross-site") {
        return "cross-site request";
      }
      const given = formToken ?? c.req.header("x-csrf-token") ?? "";
      const expected = Buffer.from(tokenFor(sessionId));
      const actual = Buffer.from(given);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
        return "missing or wrong CSRF token; reload the page and try again";
      }
      return null;
    },
  };
}
