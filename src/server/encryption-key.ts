// The 32-byte key sealing plans and credentials: TERRAGATE_ENCRYPTION_KEY, or with the embedded database a key file in the data dir.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/env.ts";

export class EncryptionKeyError extends Error {
  override name = "EncryptionKeyError";
}

export const encryptionKeyFileName = "encryption.key";

/**
 * With DATABASE_URL set, replicas share the database and so must share the key: it has to come
 * from the environment. The embedded default keeps a generated key beside its data (mode 0600),
 * created on first start and reused afterwards.
 */
export async function loadEncryptionKey(config: Config, dataDir: string): Promise<Buffer> {
  if (config.TERRAGATE_ENCRYPTION_KEY !== undefined)
    return Buffer.from(config.TERRAGATE_ENCRYPTION_KEY, "base64");
  if (config.DATABASE_URL !== undefined) {
    throw new EncryptionKeyError(
      "TERRAGATE_ENCRYPTION_KEY is required when DATABASE_URL is set: every server and worker sharing the database " +
        "must seal and unseal with the same key. Generate one with `openssl rand -base64 32`.",
    );
  }
  const file = join(dataDir, encryptionKeyFileName);
  try {
    const key = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
    if (key.length !== 32) {
      throw new EncryptionKeyError(
        `${file} does not hold 32 bytes encoded as base64; restore the original key file.`,
      );
    }
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return key;
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // "wx": never overwrite a key another process wrote a moment ago; read that one instead.
  try {
    await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return loadEncryptionKey(config, dataDir);
    throw error;
  }
  return key;
}
