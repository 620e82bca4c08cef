// The setup flow's `state`: HMAC-signed with an expiry (any replica can check it), bound to the browser by a cookie, used once.
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** A state is good for ten minutes: long enough to read GitHub's page and press its button. */
export const setupStateLifetimeMs = 10 * 60 * 1000;

/** The cookie holding the state in the browser that started the flow (HttpOnly, SameSite=Lax, Path=/setup). */
export const setupCookieName = "terragate_setup_state";

function key(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", encryptionKey, "", "terragate setup state", 32));
}

function mac(encryptionKey: Buffer, body: string): string {
  return createHmac("sha256", key(encryptionKey)).update(body).digest("base64url");
}

export function createSetupState(encryptionKey: Buffer, now = Date.now()): string {
  const body = `${randomBytes(16).toString("base64url")}.${now + setupStateLifetimeMs}`;
  return `${body}.${mac(encryptionKey, body)}`;
}

export type SetupStateProblem = "missing" | "forged" | "expired" | "other_browser";

/**
 * Why the callback's state cannot be used, or undefined when this server issued it, it has not
 * expired, and the browser presenting it holds it in its setup cookie (a state lifted from one
 * browser is useless in another). Single use is enforced by the caller, in the database.
 */
export function setupStateProblem(
  encryptionKey: Buffer,
  state: string | undefined,
  cookie: string | undefined,
  now = Date.now(),
): SetupStateProblem | undefined {
  if (!state) return "missing";
  const parts = state.split(".");
  if (parts.length !== 3) return "forged";
  const [nonce, expiry, signature] = parts as [string, string, string];
  if (!sameText(mac(encryptionKey, `${nonce}.${expiry}`), signature)) return "forged";
  if (!(Number(expiry) > now)) return "expired";
  if (cookie === undefined || !sameText(cookie, state)) return "other_browser";
  return undefined;
}

/** When the state stops being valid (for pruning used states). */
export function setupStateExpiry(state: string): Date {
  return new Date(Number(state.split(".")[1]));
}

/** What the database keeps of a used state. */
export function setupStateHash(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
