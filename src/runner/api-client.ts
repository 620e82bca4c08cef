// The runner's HTTP client for the work-manifest endpoints: retries what is safe to repeat, counts the bytes it sends.
import { currentTraceparent, withSpan } from "../tracing/tracing.ts";
import type { Vcs } from "../vcs/types.ts";
import {
  type InitiateResponse,
  InitiateResponse as InitiateResponseSchema,
  type ResultsBody,
} from "./protocol.ts";

export type VcsPath = Vcs;

/** A refused or failed call, with the server's message (which says what to do next). */
export class RunnerClientError extends Error {
  override name = "RunnerClientError";
  readonly status: number | null;
  /** The server's Retry-After, in milliseconds, when it said the same call may succeed later. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    status: number | null,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options);
    this.status = status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export interface RetryPolicy {
  /** How long calls that are safe to repeat keep being retried after 5xx answers and connection errors. */
  budgetMs: number;
  /** The first wait; each next one doubles, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/** Ten minutes: a server restarting, a deploy, a database failover all fit in it. */
export const defaultRetryPolicy: RetryPolicy = {
  budgetMs: 10 * 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 60_000,
};

/** How long initiate keeps asking while the server is still recording the dispatch of this run. */
const DISPATCH_PENDING_WAIT_MS = 10 * 60 * 1000;

export interface RunnerApiClientOptions {
  retry?: RetryPolicy;
  /** Told about each retry (what failed, how long until the next try), for the job log. */
  onRetry?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RunnerApiClient {
  readonly #base: string;
  readonly #retry: RetryPolicy;
  readonly #onRetry: (message: string) => void;
  #token: string | undefined;
  #bytesSent = 0;

  constructor(apiUrl: string, vcs: VcsPath, manifestId: string, options: RunnerApiClientOptions = {}) {
    this.#base = `${apiUrl.replace(/\/+$/, "")}/api/${vcs}/v1/work-manifests/${encodeURIComponent(manifestId)}`;
    this.#retry = options.retry ?? defaultRetryPolicy;
    this.#onRetry = options.onRetry ?? (() => {});
  }

  get bytesSent(): number {
    return this.#bytesSent;
  }

  async initiate(credential: string, request: { run_id: string; sha: string }): Promise<InitiateResponse> {
    // A work token is single-use: never resend it after the server may have consumed it. A 503 with
    // Retry-After is the server saying it consumed nothing and is still recording the dispatch.
    const deadline = Date.now() + DISPATCH_PENDING_WAIT_MS;
    let response: Response;
    for (;;) {
      try {
        response = await this.#send("POST", "/initiate", credential, JSON.stringify(request));
        break;
      } catch (error) {
        const wait =
          error instanceof RunnerClientError && error.status === 503 ? error.retryAfterMs : undefined;
        if (wait === undefined || Date.now() + wait > deadline) throw error;
        await sleep(wait);
      }
    }
    const parsed = InitiateResponseSchema.safeParse(await response.json());
    if (!parsed.success) {
      throw new RunnerClientError(
        `the server's initiate answer is not a manifest this runner understands (${parsed.error.message}); update the runner`,
        response.status,
      );
    }
    if (parsed.data.type === "manifest") this.#token = parsed.data.token;
    return parsed.data;
  }

  async uploadPlan(dir: string, workspace: string, hasChanges: boolean, plan: Buffer): Promise<void> {
    const body = JSON.stringify({ dir, workspace, has_changes: hasChanges, plan: plan.toString("base64") });
    await this.#retrying("POST", "/plans", body);
  }

  async downloadPlan(dir: string, workspace: string): Promise<Buffer> {
    const query = new URLSearchParams({ dir, workspace });
    const response = await this.#retrying("GET", `/plans?${query}`, undefined);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Tells the server an apply of this dirspace is about to start; refused once the server gave up on the run. */
  async applyStarted(dir: string, workspace: string): Promise<void> {
    await this.#retrying("POST", "/apply-started", JSON.stringify({ dir, workspace }));
  }

  /** Idempotent on the server (keyed by manifest and dirspace), so a retry after a lost answer is safe. */
  async putResults(results: ResultsBody): Promise<void> {
    await this.#retrying("PUT", "", JSON.stringify(results));
  }

  #manifestToken(): string {
    if (!this.#token) throw new RunnerClientError("the run has not been initiated yet", null);
    return this.#token;
  }

  /** A call that is safe to repeat: retried after 5xx answers and connection errors, with backoff, within the budget. */
  async #retrying(method: string, path: string, body: string | undefined): Promise<Response> {
    const token = this.#manifestToken();
    const deadline = Date.now() + this.#retry.budgetMs;
    let delay = this.#retry.firstDelayMs;
    for (;;) {
      try {
        return await this.#send(method, path, token, body);
      } catch (error) {
        const transient =
          error instanceof RunnerClientError && (error.status === null || error.status >= 500);
        if (!transient || Date.now() + delay > deadline) throw error;
        const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
        this.#onRetry(`${(error as Error).message}; trying again in ${Math.ceil(wait / 1000)} s`);
        await sleep(wait);
        delay = Math.min(delay * 2, this.#retry.maxDelayMs);
      }
    }
  }

  #send(method: string, path: string, token: string, body: string | undefined): Promise<Response> {
    // The server's span for this call continues the runner's trace (`traceparent`).
    return withSpan(
      `terragate ${method} ${path.replace(/\?.*$/, "")}`,
      { "http.request.method": method },
      () => this.#sendTraced(method, path, token, body),
      { kind: "client" },
    );
  }

  async #sendTraced(
    method: string,
    path: string,
    token: string,
    body: string | undefined,
  ): Promise<Response> {
    const url = `${this.#base}${path}`;
    const traceparent = currentTraceparent();
    let response: Response;
    try {
      if (body !== undefined) this.#bytesSent += Buffer.byteLength(body);
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(traceparent !== undefined ? { traceparent } : {}),
        },
        body,
      });
    } catch (cause) {
      const reason = (cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : "";
      throw new RunnerClientError(
        `${method} ${url} failed: ${(cause as Error).message}${reason ? ` (${reason})` : ""}`,
        null,
        {
          cause,
        },
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let message = text;
    try {
      const json = JSON.parse(text) as { error?: string; issues?: Array<{ path: string; message: string }> };
      message = json.error ?? text;
      if (json.issues?.length)
        message += ` (${json.issues.map((i) => `${i.path}: ${i.message}`).join("; ")})`;
    } catch {
      // not JSON: keep the text
    }
    const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
    throw new RunnerClientError(
      `${method} ${path || "/"} → ${response.status}: ${message}`,
      response.status,
      {
        retryAfterMs: Number.isFinite(retryAfter) ? Math.max(0, retryAfter) * 1000 : undefined,
      },
    );
  }
}
