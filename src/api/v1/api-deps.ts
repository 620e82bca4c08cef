// What the tooling API's route factories receive: the app's dependencies plus the token key ring and rate limiter.
import type { AppDeps } from "../app.ts";
import type { RateLimiter } from "../auth/rate-limiter.ts";
import type { SigningKeyStore } from "../auth/signing-key-store.ts";

export interface ApiDeps extends AppDeps {
  keyStore: SigningKeyStore;
  rateLimiter: RateLimiter;
}
