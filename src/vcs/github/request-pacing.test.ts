import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRequestPacing, type RateLimitHandler, rateLimitWait } from "./request-pacing.ts";

/** An error shaped like octokit's RequestError. */
function answer(status: number, message = "failed", headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), { status, response: { headers, data: {} } });
}

const get = { method: "GET", url: "/repos/{owner}/{repo}/contents/{path}" };

function pacing(options: { onRateLimit?: RateLimitHandler; onSecondaryRateLimit?: RateLimitHandler } = {}) {
  return createRequestPacing({
    onRateLimit: options.onRateLimit ?? (() => false),
    onSecondaryRateLimit: options.onSecondaryRateLimit ?? (() => false),
  });
}

/** A send that fails with each of `failures` in turn, then answers "ok". */
function sendFailing(...failures: Error[]) {
  const send = vi.fn(async () => {
    const failure = failures.shift();
    if (failure) throw failure;
    return "ok";
  });
  return send;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("GitHub request pacing", () => {
  it("sends a call that needs no waiting at once, without waiting on any timer", async () => {
    const paced = pacing().pacerFor("installation-1");
    // Fake timers never fire here: a call that queued behind a timer (as Bottleneck's queues do) would hang.
    await expect(paced(get, async () => "ok")).resolves.toBe("ok");
    await expect(
      paced({ method: "POST", url: "/repos/{owner}/{repo}/check-runs" }, async () => 1),
    ).resolves.toBe(1);
  });

  it("retries a server error three times, after 1, 4 and 9 seconds, then fails with it", async () => {
    const send = sendFailing(answer(502), answer(502), answer(503), answer(500, "last"));
    const result = pacing()
      .pacerFor("installation-1")(get, send)
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(send).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(send).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(send).toHaveBeenCalledTimes(4);
    expect(await result).toMatchObject({ status: 500, message: "last" });
  });

  it("answers with the call once a retry succeeds", async () => {
    const send = sendFailing(answer(502));
    const result = pacing().pacerFor("installation-1")(get, send);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toBe("ok");
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("does not retry answers a retry cannot change, nor a call that asks for no retries", async () => {
    for (const status of [400, 401, 403, 404, 410, 422, 451]) {
      const send = sendFailing(answer(status));
      await expect(pacing().pacerFor("installation-1")(get, send)).rejects.toMatchObject({ status });
      expect(send).toHaveBeenCalledTimes(1);
    }
    const dispatch = { method: "POST", url: "/dispatches", request: { retries: 0 } };
    const send = sendFailing(answer(502));
    await expect(pacing().pacerFor("installation-1")(dispatch, send)).rejects.toMatchObject({ status: 502 });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("does not retry an error that is not an answer (a bug, a refused token)", async () => {
    const send = sendFailing(new TypeError("not a function"));
    await expect(pacing().pacerFor("installation-1")(get, send)).rejects.toBeInstanceOf(TypeError);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("waits out a primary rate limit the handler accepts, and fails at once on one it declines", async () => {
    const now = Date.now();
    const limited = (resetInSeconds: number) =>
      answer(403, "API rate limit exceeded", {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(now / 1000) + resetInSeconds),
      });
    const asked: Array<[number, number]> = [];
    const accepting = pacing({
      onRateLimit: (retryAfter, _request, retryCount) => {
        asked.push([retryAfter, retryCount]);
        return retryAfter <= 60;
      },
    }).pacerFor("installation-1");
    const send = sendFailing(limited(30));
    const result = accepting(get, send);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(send).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(result).resolves.toBe("ok");
    expect(asked[0]?.[1]).toBe(0);
    expect(asked[0]?.[0]).toBeGreaterThanOrEqual(30);
    expect(asked[0]?.[0]).toBeLessThanOrEqual(32);

    const far = sendFailing(limited(3600));
    await expect(accepting(get, far)).rejects.toMatchObject({ status: 403 });
    expect(far).toHaveBeenCalledTimes(1);
  });

  it("waits a secondary rate limit's Retry-After (60 s without one) and counts the handler's retries", async () => {
    const secondary = (headers: Record<string, string>) =>
      answer(403, "You have exceeded a secondary rate limit", headers);
    const counts: number[] = [];
    const paced = pacing({
      onSecondaryRateLimit: (retryAfter, _request, retryCount) => {
        counts.push(retryCount);
        return retryCount < 2 && retryAfter <= 60;
      },
    }).pacerFor("installation-1");
    const send = sendFailing(secondary({ "retry-after": "5" }), secondary({}), secondary({}));
    const result = paced(get, send).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(send).toHaveBeenCalledTimes(3);
    // The third limit: the handler declines its third retry, and the call fails with the limit.
    expect(await result).toMatchObject({ status: 403 });
    expect(counts).toEqual([0, 1, 2]);
  });

  it("reads which limit an answer hit, and none from an ordinary 403 or 429", () => {
    const now = 1_000_000_000_000;
    expect(
      rateLimitWait(
        answer(429, "x", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000000010" }),
        now,
      ),
    ).toEqual({ limit: "primary", retryAfter: 11 });
    expect(rateLimitWait(answer(403, "Resource not accessible by integration"), now)).toBeNull();
    expect(rateLimitWait(answer(429, "slow down"), now)).toBeNull();
    expect(rateLimitWait(answer(500, "secondary rate limit"), now)).toBeNull();
    expect(rateLimitWait(new Error("no status"), now)).toBeNull();
  });

  it("keeps at most ten calls of one installation in flight; another installation does not wait", async () => {
    const pacer = pacing();
    const paced = pacer.pacerFor("installation-1");
    const releases: Array<() => void> = [];
    let inFlight = 0;
    let most = 0;
    const held = () =>
      new Promise<string>((resolve) => {
        inFlight++;
        most = Math.max(most, inFlight);
        releases.push(() => {
          inFlight--;
          resolve("done");
        });
      });
    const calls = Array.from({ length: 12 }, () => paced(get, held));
    await vi.advanceTimersByTimeAsync(0);
    expect(inFlight).toBe(10);
    await expect(pacer.pacerFor("installation-2")(get, async () => "other")).resolves.toBe("other");
    releases.shift()?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(inFlight).toBe(10);
    while (releases.length > 0) {
      releases.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(await Promise.all(calls)).toHaveLength(12);
    expect(most).toBe(10);
  });

  it("asks for one installation token at a time", async () => {
    const paced = pacing().pacerFor("installation-1");
    const token = { method: "POST", url: "/app/installations/{installation_id}/access_tokens" };
    let inFlight = 0;
    let most = 0;
    const send = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      inFlight--;
      return "token";
    };
    await Promise.all([paced(token, send), paced(token, send), paced(token, send)]);
    expect(most).toBe(1);
  });
});
