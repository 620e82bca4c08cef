// Storage of the API's token-signing keys: sealed secrets, loaded by every replica, rotated by inserting a newer key.
import { desc, gt } from "drizzle-orm";
import type { SigningKey } from "../../crypto/jwt.ts";
import { SealError, seal, unseal } from "../../crypto/seal.ts";
import type { Executor } from "../client.ts";
import { apiSigningKeys } from "../schema/index.ts";

function sealContext(kid: string): string {
  return `api-signing-key:${kid}`;
}

/** Every key that still verifies tokens, newest first. */
export async function loadSigningKeys(
  executor: Executor,
  encryptionKey: Buffer,
  now: Date,
): Promise<SigningKey[]> {
  const rows = await executor
    .select()
    .from(apiSigningKeys)
    .where(gt(apiSigningKeys.retiresAt, now))
    .orderBy(desc(apiSigningKeys.createdAt));
  // A key sealed under another encryption key (TERRAGATE_ENCRYPTION_KEY was changed) cannot be used:
  // skip it, so that a fresh key gets created instead of every request failing.
  return rows.flatMap((row) => {
    try {
      const secret = unseal(encryptionKey, row.secretSealed, sealContext(row.kid));
      return [{ kid: row.kid, secret, createdAt: row.createdAt }];
    } catch (error) {
      if (error instanceof SealError) return [];
      throw error;
    }
  });
}

export async function insertSigningKey(
  executor: Executor,
  encryptionKey: Buffer,
  key: SigningKey,
  retiresAt: Date,
): Promise<void> {
  await executor.insert(apiSigningKeys).values({
    kid: key.kid,
    secretSealed: seal(encryptionKey, Buffer.from(key.secret), sealContext(key.kid)),
    createdAt: key.createdAt,
    retiresAt,
  });
}
