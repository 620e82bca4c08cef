// AES-256-GCM sealing for secrets and plan files at rest: version byte, 12-byte nonce, ciphertext, 16-byte tag.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SealError extends Error {
  override name = "SealError";
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new SealError(`encryption key must be 32 bytes, got ${key.length}`);
}

/** Encrypts and authenticates `plaintext`; `context` (e.g. a manifest id) is bound as associated data. */
export function seal(key: Buffer, plaintext: Buffer, context = ""): Buffer {
  checkKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, ciphertext, cipher.getAuthTag()]);
}

/** Reverses `seal`; throws SealError when the data was altered, the key is wrong or the context differs. */
export function unseal(key: Buffer, sealed: Buffer, context = ""): Buffer {
  checkKey(key);
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
    throw new SealError("sealed data is malformed or of an unknown version");
  }
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const ciphertext = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (cause) {
    throw new SealError("sealed data failed authentication (wrong key, wrong context or altered data)", {
      cause,
    });
  }
}
