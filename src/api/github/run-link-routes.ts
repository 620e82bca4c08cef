// GET /api/github/v1/runs/{manifestId}: the stable "Details" link of Terragate's check runs, redirecting to the CI run.
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { workManifests } from "../../db/schema/index.ts";
import type { AppDeps } from "../app.ts";

/**
 * Check runs are created before the CI run exists; linking them here means no check run has to be
 * edited once the run is known (one GitHub call fewer per dirspace).
 */
export function createRunLinkRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/:id", async (c) => {
    const id = c.req.param("id");
    if (!z.uuid().safeParse(id).success) return c.text("unknown run", 404);
    const [manifest] = await deps.database.db
      .select({
        state: workManifests.state,
        runUrl: workManifests.runUrl,
        failureReason: workManifests.failureReason,
      })
      .from(workManifests)
      .where(eq(workManifests.id, id));
    if (!manifest) return c.text("unknown run", 404);
    if (manifest.runUrl) return c.redirect(manifest.runUrl, 302);
    const detail = manifest.failureReason ? `: ${manifest.failureReason}` : "";
    return c.text(
      `This Terragate run is ${manifest.state} and has no CI run yet${detail}. Reload in a moment.`,
      200,
    );
  });
  return app;
}
