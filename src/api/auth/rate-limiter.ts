// Per-key rate limiting: an in-process token bucket per API key (each replica limits on its own).
export interface RateLimiter {
  /** Takes one token for `key`; returns 0 when allowed, else the seconds until a token is available. */
  take(key: string): number;
}

export interface RateLimitOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: the burst a key may spend at once. */
  burst: number;
  now?: () => number;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
    throw new Error(
      `rate limiter needs ratePerSecond > 0 and burst >= 1, got ${options.ratePerSecond} and ${options.burst}`,
    );
  }
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const at = now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at };
      bucket.tokens = Math.min(
        options.burst,
        bucket.tokens + ((at - bucket.at) / 1000) * options.ratePerSecond,
      );
      bucket.at = at;
      if (buckets.size > 100_000) buckets.clear();
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / options.ratePerSecond));
    },
  };
}
