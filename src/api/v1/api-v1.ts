// The tooling API under /api/v1: auth, limits, error shape, every resource's routes, and its OpenAPI description.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { AppDeps } from "../app.ts";
import { type ApiEnv, requireAccessToken, requireTenant } from "../auth/access-token-auth.ts";
import { capabilityDescriptions } from "../auth/capabilities.ts";
import { createRateLimiter } from "../auth/rate-limiter.ts";
import { createSigningKeyStore, type SigningKeyStore } from "../auth/signing-key-store.ts";
import { registerGitlabApiDocs } from "../gitlab/openapi.ts";
import { accessTokenRoutes } from "./access-token-routes.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorBody } from "./api-error.ts";
import { apiKeyRoutes } from "./api-key-routes.ts";
import { driftRoutes } from "./drift-routes.ts";
import { installationRoutes } from "./installation-routes.ts";
import { kvRoutes } from "./kv-routes.ts";
import { lockRoutes } from "./lock-routes.ts";
import { refreshRoutes } from "./refresh-routes.ts";
import { stackRoutes } from "./stack-routes.ts";
import { workManifestRoutes } from "./work-manifest-routes.ts";

/** Largest request body the API reads. */
export const API_BODY_LIMIT_BYTES = 1024 * 1024;

export interface ApiV1Options {
  /** Share a key ring between apps in one process (tests); built from the database otherwise. */
  keyStore?: SigningKeyStore;
}

export function createApiV1(deps: AppDeps, options: ApiV1Options = {}): OpenAPIHono<ApiEnv> {
  const apiDeps: ApiDeps = {
    ...deps,
    keyStore:
      options.keyStore ??
      createSigningKeyStore({ database: deps.database, encryptionKey: deps.encryptionKey }),
    rateLimiter: createRateLimiter({
      ratePerSecond: deps.config.TERRAGATE_API_RATE_LIMIT,
      burst: deps.config.TERRAGATE_API_RATE_LIMIT * 2,
    }),
  };
  const api = new OpenAPIHono<ApiEnv>();

  api.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(errorBody(error.code, error.message, error.details), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(errorBody("bad_request", error.message || "the request could not be read"), error.status);
    }
    deps.logger.error({ err: error, path: c.req.path, method: c.req.method }, "tooling API request failed");
    return c.json(errorBody("internal", "internal error; the server log has the details"), 500);
  });

  api.use(
    "*",
    bodyLimit({
      maxSize: API_BODY_LIMIT_BYTES,
      // Closing spares reading the rest; the server drains what is in flight so the client reads this.
      onError: (c) => {
        c.header("connection", "close");
        return c.json(
          errorBody("payload_too_large", `request body exceeds ${API_BODY_LIMIT_BYTES} bytes`),
          413,
        );
      },
    }),
  );
  api.use(
    "*",
    requireAccessToken({
      keyStore: apiDeps.keyStore,
      rateLimiter: apiDeps.rateLimiter,
      isPublic: (path) => path.endsWith("/access-token/refresh") || path.endsWith("/openapi.json"),
    }),
  );

  // Every per-installation route: the token's installation or 404, then c.get("installation").
  api.use("/:vcs/installations/:installation/*", requireTenant());
  api.use("/:vcs/kv/:installation/*", requireTenant());

  api.route("/", accessTokenRoutes(apiDeps));
  api.route("/", apiKeyRoutes(apiDeps));
  api.route("/", installationRoutes(apiDeps));
  api.route("/", workManifestRoutes(apiDeps));
  api.route("/", lockRoutes(apiDeps));
  api.route("/", driftRoutes(apiDeps));
  api.route("/", refreshRoutes(apiDeps));
  api.route("/", stackRoutes(apiDeps));
  api.route("/", kvRoutes(apiDeps));

  // Served by their own sub-apps (mounted before this one), described here with the rest.
  registerGitlabApiDocs(api.openAPIRegistry);
  api.openAPIRegistry.registerComponent("securitySchemes", "accessToken", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "a 60-second access token from POST /access-token/refresh",
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "an API key (tgk_…), only for POST /access-token/refresh",
  });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Terragate tooling API",
      version: "1",
      description: [
        "Installations, pull requests, work manifests, locks and a key-value store, per installation.",
        "Capabilities: " +
          Object.entries(capabilityDescriptions)
            .map(([name, description]) => `\`${name}\` (${description})`)
            .join("; "),
        'Errors are `{"error": {"code", "message", "details"}}`. Timestamps are ISO-8601 UTC.',
      ].join("\n\n"),
    },
    servers: [{ url: "/api/v1" }],
  });

  api.all("*", (c) =>
    c.json(
      errorBody("not_found", `no API route ${c.req.method} ${c.req.path}; see /api/v1/openapi.json`),
      404,
    ),
  );
  return api;
}
