// The runner's HTTP client for the work-manifest endpoints; counts the bytes it sends.
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

/** How long initiate keeps asking while the server is still recording the dispatch of this run. */
const DISPATCH_PENDING_WAIT_MS = 10 * 60 * 1000;

const RETRY_STATUSES = new Set([502, 503, 504]);
const RETRY_DELAYS_MS = [1000, 3000, 9000];

export class RunnerApiClient {
  readonly #base: string;
  #token: string | undefined;
  #bytesSent = 0;

  constructor(apiUrl: string, vcs: VcsPath, manifestId: string) {
    this.#base = `${apiUrl.replace(/\/+$/, "")}/api/${vcs}/v1/work-manifests/${encodeURIComponent(manifestId)}`;
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
        response = await this.#call("POST", "/initiate", credential, JSON.stringify(request), false);
        break;
      } catch (error) {
        const wait =
          error instanceof RunnerClientError && error.status === 503 ? error.retryAfterMs : undefined;
        if (wait === undefined || Date.now() + wait > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
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
    await this.#call("POST", "/plans", this.#manifestToken(), body, true);
  }

  async downloadPlan(dir: string, workspace: string): Promise<Buffer> {
    const query = new URLSearchParams({ dir, workspace });
    const response = await this.#call("GET", `/plans?${query}`, this.#manifestToken(), undefined, true);
    return Buffer.from(await response.arrayBuffer());
  }

  async putResults(results: ResultsBody): Promise<void> {
    await this.#call("PUT", "", this.#manifestToken(), JSON.stringify(results), true);
  }

  #manifestToken(): string {
    if (!this.#token) throw new RunnerClientError("the run has not been initiated yet", null);
    return this.#token;
  }

  async #call(
    method: string,
    path: string,
    token: string,
    body: string | undefined,
    retry: boolean,
  ): Promise<Response> {
    const url = `${this.#base}${path}`;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        if (body !== undefined) this.#bytesSent += Buffer.byteLength(body);
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
          },
          body,
        });
      } catch (cause) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (retry && delay !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        throw new RunnerClientError(`${method} ${url} failed: ${(cause as Error).message}`, null, { cause });
      }
      if (response.ok) return response;
      const delay = RETRY_DELAYS_MS[attempt];
      if (retry && RETRY_STATUSES.has(response.status) && delay !== undefined) {
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      const text = await response.text();
      let message = text;
      try {
        const json = JSON.parse(text) as {
          error?: string;
          issues?: Array<{ path: string; message: string }>;
        };
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
}
