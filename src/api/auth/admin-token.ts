// Admin routes of the tooling API: the server operator's TERRAGATE_ADMIN_TOKEN as a bearer token, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { errorBody } from "../v1/api-error.ts";
import { bearerCredential } from "./bearer.ts";

/**
 * "Admin" means the operator of this Terragate server: whoever holds TERRAGATE_ADMIN_TOKEN (set in
 * the server's environment, like the encryption key). Admin routes act across installations, so
 * no installation's API key opens them. Unset, they answer 403 saying how to turn them on.
 */
export function requireAdminToken(options: { adminToken: string | undefined }): MiddlewareHandler {
  const expected = options.adminToken === undefined ? undefined : digest(options.adminToken);
  return async (c, next) => {
    if (expected === undefined) {
      return c.json(
        errorBody(
          "forbidden",
          "admin routes are off on this server: set TERRAGATE_ADMIN_TOKEN (32+ characters) to enable them",
        ),
        403,
      );
    }
    const presented = bearerCredential(c.req.header("authorization"));
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      return c.json(
        errorBody("unauthorized", "admin routes need `Authorization: Bearer <TERRAGATE_ADMIN_TOKEN>`"),
        401,
      );
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
