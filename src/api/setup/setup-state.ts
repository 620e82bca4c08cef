// The setup flow's `state`: an HMAC-signed nonce with an expiry, so any replica can check it without storage.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

const lifetimeMs = 60 * 60 * 1000;

function key(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", encryptionKey, "", "terragate setup state", 32));
}

function mac(encryptionKey: Buffer, body: string): string {
  return createHmac("sha256", key(encryptionKey)).update(body).digest("base64url");
}

export function createSetupState(encryptionKey: Buffer, now = Date.now()): string {
  const body = `${randomBytes(16).toString("base64url")}.${now + lifetimeMs}`;
  return `${body}.${mac(encryptionKey, body)}`;
}

/** Whether the state came from this server and has not expired. */
export function checkSetupState(encryptionKey: Buffer, state: string, now = Date.now()): boolean {
  const parts = state.split(".");
  if (parts.length !== 3) return false;
  const [nonce, expiry, signature] = parts as [string, string, string];
  const expected = Buffer.from(mac(encryptionKey, `${nonce}.${expiry}`));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) && Number(expiry) > now;
}
