// Retries and rate limits of GitHub calls: the rules of @octokit/plugin-retry and plugin-throttling, without their timer hops.
//
// Those plugins queue every call through Bottleneck limiters (three per call), whose local store waits
// a timer tick at each step: 10–25 ms per call before the request leaves, more than GitHub's own answer
// to a small read, and several times that along the evaluation of one event. Here a call that needs no
// waiting goes out at once; timers run only to wait out a retry or a rate limit.

/** What a request hook sees of a call (octokit's endpoint options). */
export interface PacedRequestOptions {
  method: string;
  url: string;
  /** plugin-retry's per-call option `request.retries` (octokit's request options type has no such key). */
  request?: object & { retries?: number };
}

/** Whether to wait `retryAfter` seconds and try again (`retryCount`: rate-limit retries already made). */
export type RateLimitHandler = (
  retryAfter: number,
  request: { method: string; url: string },
  retryCount: number,
) => boolean;

export interface RequestPacingOptions {
  onRateLimit: RateLimitHandler;
  onSecondaryRateLimit: RateLimitHandler;
  /** Calls in flight at once per installation (plugin-throttling's: 10). */
  maxConcurrent?: number;
  /** Retries of a failed call unless the call sets `request.retries` (plugin-retry's: 3). */
  retries?: number;
  /** The n-th retry waits n² times this (plugin-retry's: 1 s, so 1 s, 4 s, 9 s). */
  retryBaseMs?: number;
}

/** Sends `call` (again, on a retry) with `send`, as the rules allow. */
export type PacedSend = <T>(call: PacedRequestOptions, send: () => Promise<T>) => Promise<T>;

/** Answers no retry could change (plugin-retry's list); 403 and 429 rate limits are handled apart. */
const doNotRetry = new Set([400, 401, 403, 404, 410, 422, 451]);
/** A secondary rate limit names itself in the message; GitHub's fallback wait when it sends no Retry-After. */
const secondaryLimit = /\bsecondary rate\b/i;
const secondaryFallbackSeconds = 60;

/** Creating an installation token (or another app-level token): at most one at a time. */
function isAuthRequest(method: string, url: string): boolean {
  const path = new URL(url, "http://github.test").pathname;
  return (
    (method === "PATCH" && /^\/applications\/[^/]+\/token\/scoped$/.test(path)) ||
    (method === "POST" &&
      (/^\/applications\/[^/]+\/token$/.test(path) ||
        /^\/app\/installations\/[^/]+\/access_tokens$/.test(path) ||
        path === "/login/oauth/access_token"))
  );
}

interface ErrorAnswer {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, unknown>; data?: { errors?: Array<{ type?: string }> } };
}

/** Seconds to wait before trying a rate-limited call again, and which limit it hit; null when not one. */
export function rateLimitWait(
  error: unknown,
  now = Date.now(),
): { limit: "primary" | "secondary"; retryAfter: number } | null {
  const answer = error as ErrorAnswer;
  if (answer?.status !== 403 && answer?.status !== 429) return null;
  const headers = answer.response?.headers ?? {};
  if (secondaryLimit.test(String(answer.message ?? ""))) {
    return { limit: "secondary", retryAfter: Number(headers["retry-after"]) || secondaryFallbackSeconds };
  }
  const exhausted =
    headers["x-ratelimit-remaining"] === "0" ||
    (answer.response?.data?.errors ?? []).some((item) => item.type === "RATE_LIMITED");
  if (!exhausted) return null;
  const reset = Math.trunc(Number(headers["x-ratelimit-reset"]) || 0) * 1000;
  // One second past the reset, as GitHub asks.
  return { limit: "primary", retryAfter: Math.max(Math.ceil((reset - now) / 1000) + 1, 0) };
}

/** At most `limit` calls per key at once; a waiting call is handed the slot of the one that ends. */
function createKeyedLimiter(limit: number) {
  const slots = new Map<string, { active: number; waiting: Array<() => void> }>();
  return async <T>(key: string, run: () => Promise<T>): Promise<T> => {
    let slot = slots.get(key);
    if (!slot) {
      slot = { active: 0, waiting: [] };
      slots.set(key, slot);
    }
    const held = slot;
    if (held.active < limit) held.active++;
    else await new Promise<void>((resolve) => held.waiting.push(resolve));
    try {
      return await run();
    } finally {
      const next = held.waiting.shift();
      if (next) next();
      else if (--held.active === 0 && slots.get(key) === held) slots.delete(key);
    }
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One per process (shared by the octokits of its installations): an installation's octokit sends
 * each call through `pacerFor(installation)` from its request hook.
 */
export function createRequestPacing(options: RequestPacingOptions): {
  pacerFor: (installationKey: string) => PacedSend;
} {
  const calls = createKeyedLimiter(options.maxConcurrent ?? 10);
  const tokens = createKeyedLimiter(1);
  const baseMs = options.retryBaseMs ?? 1000;
  return {
    pacerFor: (installationKey) => async (call, send) => {
      const limiter = isAuthRequest(call.method, call.url) ? tokens : calls;
      const maxRetries = call.request?.retries ?? options.retries ?? 3;
      let retries = 0;
      let rateLimitRetries = 0;
      for (;;) {
        try {
          return await limiter(installationKey, send);
        } catch (error) {
          const limited = rateLimitWait(error);
          if (limited) {
            const handler =
              limited.limit === "secondary" ? options.onSecondaryRateLimit : options.onRateLimit;
            // A limit that lifts too late fails the call (the job is retried later), not a worker slot.
            if (!handler(limited.retryAfter, { method: call.method, url: call.url }, rateLimitRetries)) {
              throw error;
            }
            rateLimitRetries++;
            await sleep(limited.retryAfter * 1000);
            continue;
          }
          const status = Number((error as ErrorAnswer)?.status);
          if (!(status >= 400) || doNotRetry.has(status) || retries >= maxRetries) throw error;
          retries++;
          await sleep(retries * retries * baseMs);
        }
      }
    },
  };
}
