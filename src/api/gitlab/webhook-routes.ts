// POST /api/v1/gitlab/events (also /api/gitlab/v1/events): authenticate X-Gitlab-Token, store the delivery and queue it in one transaction.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type GitlabIntake, gitlabIntake } from "../../vcs/gitlab/intake.ts";
import type { AppDeps } from "../app.ts";
import { createDeliveryBatcher, type DeliveryBatcher } from "../delivery-batcher.ts";
import {
  coveringConnection,
  createGitlabConnectionCache,
  type GitlabConnectionCache,
} from "./connection-cache.ts";

/** Evaluation retries (graphile-worker's exponential backoff) for GitLab 5xx and rate limits. */
const evaluateMaxAttempts = 10;

/** GitLab refuses to send webhook payloads over 25 MB; anything larger is not from GitLab. */
export const maxGitlabWebhookBytes = 25 * 1024 * 1024;

/** Shared by both mounts so one batcher and one cache serve the process. */
export interface GitlabIntakeState {
  deliveries: DeliveryBatcher;
  connections: GitlabConnectionCache;
}

export function createGitlabIntakeState(deps: AppDeps): GitlabIntakeState {
  return {
    deliveries: createDeliveryBatcher(deps.database.db),
    connections: createGitlabConnectionCache(deps.database.db),
  };
}

type ReadHook =
  | { kind: "not json" }
  | { kind: "no project" }
  | { kind: "read"; project: { id: number; path: string }; intake: GitlabIntake };

/**
 * What intake keeps of a hook's body. Synchronous, so the parsed payload (~5× the body's size) is
 * garbage before the delivery waits for its commit: only the body is stored.
 */
function readHook(hook: string, body: string): ReadHook {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return { kind: "not json" };
  }
  const project = (payload as { project?: { id?: unknown; path_with_namespace?: unknown } } | null)?.project;
  if (typeof project?.id !== "number" || typeof project.path_with_namespace !== "string") {
    return { kind: "no project" };
  }
  return {
    kind: "read",
    project: { id: project.id, path: project.path_with_namespace },
    intake: gitlabIntake(hook, payload),
  };
}

export function createGitlabWebhookRoutes(state: GitlabIntakeState): Hono {
  const app = new Hono();
  app.post(
    "/events",
    bodyLimit({
      maxSize: maxGitlabWebhookBytes,
      // Closing spares reading the rest; the server drains what is in flight so the client reads this.
      onError: (c) => {
        c.header("connection", "close");
        return c.json({ error: `webhook body larger than ${maxGitlabWebhookBytes} bytes` }, 413);
      },
    }),
    async (c) => {
      const token = c.req.header("x-gitlab-token");
      const hook = c.req.header("x-gitlab-event");
      const deliveryId = c.req.header("idempotency-key") ?? c.req.header("x-gitlab-event-uuid");
      const unauthorized = () =>
        c.json(
          {
            error:
              "missing or wrong X-Gitlab-Token: the webhook's secret token must be the one `terragate gitlab connect` set (run it again to reset the webhook)",
          },
          401,
        );
      if (!token) return unauthorized();
      const candidates = await state.connections.authenticate(token);
      if (candidates === null) return unauthorized();
      if (!hook) return c.json({ error: "the X-Gitlab-Event header is required" }, 400);
      const body = await c.req.text();
      const read = readHook(hook, body);
      if (read.kind === "not json") return c.json({ error: "the webhook body is not JSON" }, 400);
      if (read.kind === "no project") {
        return c.json({ ok: true, ignored: true, reason: "the payload names no project" }, 200);
      }
      const { project, intake } = read;
      const connection = coveringConnection(candidates, {
        id: project.id,
        path: project.path,
      });
      if (connection === null) {
        return c.json(
          {
            error: `project ${project.path} is outside the group or project this webhook's secret belongs to; if it was moved or renamed, run \`terragate gitlab connect\` again`,
          },
          403,
        );
      }
      if (!deliveryId)
        return c.json({ error: "an Idempotency-Key or X-Gitlab-Event-UUID header is required" }, 400);
      if (!intake.handled) return c.json({ ok: true, ignored: true, reason: intake.reason }, 200);

      const queueName =
        intake.mergeRequestIid === null
          ? `gitlab:installation:${connection.externalId}`
          : `gitlab:pr:${intake.projectId}:${intake.mergeRequestIid}`;
      const stored = await state.deliveries.store({
        delivery: {
          vcs: "gitlab",
          deliveryId,
          event: hook,
          action: intake.action,
          installationExternalId: connection.externalId,
          rawPayload: body,
        },
        job: {
          taskIdentifier: "evaluate-event",
          payload: { vcs: "gitlab", deliveryId },
          queueName,
          jobKey: `evaluate:gitlab:${deliveryId}`,
          maxAttempts: evaluateMaxAttempts,
        },
      });
      return stored ? c.json({ ok: true, stored: true }, 202) : c.json({ ok: true, duplicate: true }, 200);
    },
  );
  return app;
}
