// A throwaway RSA key for the GitHub App in tests (the fake accepts any app JWT).
import { generateKeyPairSync } from "node:crypto";

let cached: string | undefined;

/** PEM (PKCS#1) private key, generated once per test process. */
export function testAppPrivateKey(): string {
  cached ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
  return cached;
}
