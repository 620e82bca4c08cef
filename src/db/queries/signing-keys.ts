// Storage of the API's token-signing keys: sealed secrets, loaded by every replica, rotated by inserting a newer key.
import { desc, gt } from "drizzle-orm";
import type { SigningKey } from "../../crypto/jwt.ts";
import { seal, unseal } from "../../crypto/seal.ts";
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
  return rows.map((row) => ({
    kid: row.kid,
    secret: unseal(encryptionKey, row.secretSealed, sealContext(row.kid)),
    createdAt: row.createdAt,
  }));
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
