// POST /access-token/refresh: trade an API key for a 60-second access token carrying its capabilities.
import { createRoute, z } from "@hono/zod-openapi";
import { hashApiKey, isApiKey } from "../../crypto/api-keys.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "../../crypto/jwt.ts";
import { useApiKey } from "../../db/queries/api-keys.ts";
import { bearerToken, rateLimitError } from "../auth/access-token-auth.ts";
import { validGrants } from "../auth/capabilities.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses } from "./api-error.ts";
import { createRouter } from "./schemas.ts";

const AccessToken = z
  .object({
    access_token: z.string().openapi({ description: "JWT; send as `Authorization: Bearer <access_token>`" }),
    expires_in: z.number().int().openapi({ example: ACCESS_TOKEN_TTL_SECONDS }),
  })
  .openapi("AccessToken");

const refresh = createRoute({
  method: "post",
  path: "/access-token/refresh",
  summary: "Exchange an API key for a short-lived access token",
  description:
    "Send the API key (`tgk_…`) as `Authorization: Bearer <key>`. A revoked key is refused at once.",
  tags: ["auth"],
  security: [{ apiKey: [] }],
  responses: {
    200: {
      description: "a token valid for 60 seconds",
      content: { "application/json": { schema: AccessToken } },
    },
    ...errorResponses(401, 429),
  },
});

export function accessTokenRoutes(deps: ApiDeps) {
  return createRouter().openapi(refresh, async (c) => {
    const key = bearerToken(c);
    // Limit by the presented secret's hash before the database is touched, so guessing is slow too.
    const retryAfter = deps.rateLimiter.take(`refresh:${hashApiKey(key).slice(0, 16)}`);
    if (retryAfter > 0) throw rateLimitError(retryAfter);
    const found = isApiKey(key) ? await useApiKey(deps.database.db, key) : undefined;
    if (!found) {
      throw new ApiError(
        401,
        "unauthorized",
        "API key is unknown or revoked; create one with `terragate api-key create`",
      );
    }
    const token = await signAccessToken(await deps.keyStore.signingKey(), {
      keyId: found.id,
      installationId: found.installationId,
      vcs: found.vcs,
      installationExternalId: found.installationExternalId,
      capabilities: validGrants(found.capabilities),
    });
    return c.json({ access_token: token, expires_in: ACCESS_TOKEN_TTL_SECONDS }, 200);
  });
}
