// POST /api/github/v1/events: verify the signature, store the delivery and enqueue its evaluation in one transaction.
import { Webhooks } from "@octokit/webhooks";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppDeps } from "../../api/app.ts";
import { createDeliveryBatcher } from "../../api/delivery-batcher.ts";
import { createRunLinkRoutes } from "../../api/github/run-link-routes.ts";
import { createCredentialsCache } from "./credentials.ts";

/** Evaluation retries (with graphile-worker's exponential backoff) for GitHub 5xx and rate limits. */
const evaluateMaxAttempts = 10;

/** GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub. */
export const maxWebhookBytes = 25 * 1024 * 1024;

/** The few payload fields needed to decide whether to store a delivery and which queue serializes it. */
const Routing = z.looseObject({
  action: z.string().optional(),
  /** push: the branch pushed to, and whether it was deleted. */
  ref: z.string().optional(),
  deleted: z.boolean().optional(),
  installation: z.looseObject({ id: z.number() }).optional(),
  repository: z.looseObject({ id: z.number(), default_branch: z.string().optional() }).optional(),
  number: z.number().optional(),
  issue: z.looseObject({ number: z.number(), pull_request: z.unknown().optional() }).optional(),
  check_run: z
    .looseObject({ pull_requests: z.array(z.looseObject({ number: z.number() })).default([]) })
    .optional(),
});
type Routing = z.infer<typeof Routing>;

const repositoryActions = new Set(["renamed", "archived", "unarchived", "edited", "transferred", "deleted"]);
const prActions = new Set(["opened", "synchronize", "reopened", "ready_for_review", "closed"]);

/** Whether Terragate acts on this event + action (others are acknowledged and dropped). */
export function isHandledEvent(event: string, payload: Routing): boolean {
  switch (event) {
    case "pull_request":
      return prActions.has(payload.action ?? "");
    case "issue_comment":
      return payload.action === "created" && payload.issue?.pull_request !== undefined;
    case "installation":
    case "installation_repositories":
      return true;
    case "workflow_job":
    case "workflow_run":
      // Only a finished run can have died without reporting; queued and in_progress runs are many
      // and would crowd the installation's queue.
      return payload.action === "completed";
    case "check_run":
      return payload.action === "rerequested";
    case "push":
      // Only the default branch's config and tree matter (refresh); a deleted branch has neither.
      return (
        payload.deleted !== true &&
        payload.repository?.default_branch !== undefined &&
        payload.ref === `refs/heads/${payload.repository.default_branch}`
      );
    case "repository":
      return repositoryActions.has(payload.action ?? "");
    default:
      return false;
  }
}

/** Events of one PR are evaluated one at a time and in order; other events queue per installation. */
export function evaluationQueue(event: string, payload: Routing): string {
  const installation = payload.installation?.id ?? "none";
  const repo = payload.repository?.id;
  const prNumber =
    event === "pull_request"
      ? payload.number
      : event === "issue_comment"
        ? payload.issue?.number
        : event === "check_run"
          ? payload.check_run?.pull_requests[0]?.number
          : undefined;
  if (repo !== undefined && prNumber !== undefined) return `github:pr:${repo}:${prNumber}`;
  return `github:installation:${installation}`;
}

type Intake =
  | { kind: "invalid"; error: string }
  | { kind: "ignored" }
  | { kind: "store"; action: string | null; installationExternalId: string | null; queueName: string };

/**
 * What intake keeps of a verified delivery's body. Synchronous, so the parsed payload (~5× the
 * body's size) is garbage before the delivery waits for its commit: only the body is stored.
 */
function readIntake(event: string, body: string): Intake {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return {
      kind: "invalid",
      error: "the webhook body is not JSON (set the app's content type to application/json)",
    };
  }
  const routing = Routing.safeParse(json);
  if (!routing.success) return { kind: "invalid", error: "unexpected webhook payload shape" };
  if (!isHandledEvent(event, routing.data)) return { kind: "ignored" };
  return {
    kind: "store",
    action: routing.data.action ?? null,
    installationExternalId:
      routing.data.installation === undefined ? null : String(routing.data.installation.id),
    queueName: evaluationQueue(event, routing.data),
  };
}

export function createGithubWebhookRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const credentials = createCredentialsCache(deps);
  const deliveries = createDeliveryBatcher(deps.database.db);
  const verifiers = new Map<string, Webhooks>();
  const verifierFor = (secret: string) => {
    let verifier = verifiers.get(secret);
    if (!verifier) {
      verifier = new Webhooks({ secret });
      verifiers.clear();
      verifiers.set(secret, verifier);
    }
    return verifier;
  };

  app.post(
    "/events",
    bodyLimit({
      maxSize: maxWebhookBytes,
      // Closing spares reading the rest; the server drains what is in flight so the client reads this.
      onError: (c) => {
        c.header("connection", "close");
        return c.json({ error: `webhook body larger than ${maxWebhookBytes} bytes` }, 413);
      },
    }),
    async (c) => {
      const app = await credentials.get();
      if (!app) {
        return c.json({ error: "this server has no GitHub App yet; open /setup to create one" }, 503);
      }
      const signature = c.req.header("x-hub-signature-256");
      const event = c.req.header("x-github-event");
      const deliveryId = c.req.header("x-github-delivery");
      const body = await c.req.text();
      if (
        !signature ||
        !(await verifierFor(app.webhookSecret)
          .verify(body, signature)
          .catch(() => false))
      ) {
        return c.json(
          { error: "missing or invalid X-Hub-Signature-256 (check the app's webhook secret)" },
          401,
        );
      }
      if (!event || !deliveryId) {
        return c.json({ error: "X-GitHub-Event and X-GitHub-Delivery headers are required" }, 400);
      }
      if (event === "ping") return c.json({ ok: true, pong: true }, 200);
      const intake = readIntake(event, body);
      if (intake.kind === "invalid") return c.json({ error: intake.error }, 400);
      if (intake.kind === "ignored") return c.json({ ok: true, ignored: true }, 200);

      const stored = await deliveries.store({
        delivery: {
          vcs: "github",
          deliveryId,
          event,
          action: intake.action,
          installationExternalId: intake.installationExternalId,
          rawPayload: body,
        },
        job: {
          taskIdentifier: "evaluate-event",
          payload: { vcs: "github", deliveryId },
          queueName: intake.queueName,
          jobKey: `evaluate:github:${deliveryId}`,
          maxAttempts: evaluateMaxAttempts,
        },
      });
      return stored ? c.json({ ok: true, stored: true }, 202) : c.json({ ok: true, duplicate: true }, 200);
    },
  );
  app.route("/runs", createRunLinkRoutes(deps));
  return app;
}
