// API keys for tooling: `tgk_` + 32 random bytes in base62, shown once, stored only as a SHA-256 hash.
import { createHash, randomBytes } from "node:crypto";

export const API_KEY_PREFIX = "tgk_";
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 32 bytes = 256 bits need ceil(256 / log2(62)) = 43 base62 digits. */
const ENCODED_LENGTH = 43;
const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${ENCODED_LENGTH}}$`);

/** Encodes bytes as a fixed-width base62 string (leading zeros kept, so every key has the same length). */
export function encodeBase62(bytes: Uint8Array, width: number): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let encoded = "";
  while (value > 0n) {
    encoded = ALPHABET[Number(value % 62n)] + encoded;
    value /= 62n;
  }
  return encoded.padStart(width, "0");
}

/** A fresh API key; the caller shows it once and stores `hashApiKey(key)`. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + encodeBase62(randomBytes(32), ENCODED_LENGTH);
}

/** True when `candidate` has the shape of an API key (cheap check before touching the database). */
export function isApiKey(candidate: string): boolean {
  return API_KEY_PATTERN.test(candidate);
}

/** The stored form of a key: hex SHA-256. Keys carry 256 bits of entropy, so no salt or slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
