// The key ring behind access tokens: the newest key signs, every unretired key verifies, new keys appear by rotation.
import { createSigningKey, type SigningKey } from "../../crypto/jwt.ts";
import type { DatabaseClient } from "../../db/client.ts";
import { insertSigningKey, loadSigningKeys } from "../../db/queries/signing-keys.ts";

/** A key signs new tokens for 30 days, then verifies for one more day (tokens live 60 seconds). */
const SIGNING_PERIOD_MS = 30 * 24 * 3600 * 1000;
const VERIFY_GRACE_MS = 24 * 3600 * 1000;
/** An unknown `kid` (e.g. a key another replica just created) reloads the ring at most this often. */
const RELOAD_INTERVAL_MS = 1000;
/** The ring is re-read this often anyway, so a rotation done elsewhere starts signing here too. */
const REFRESH_INTERVAL_MS = 60_000;

export interface SigningKeyStore {
  signingKey(): Promise<SigningKey>;
  resolve(kid: string): Promise<SigningKey | undefined>;
  /** Starts signing with a fresh key now; older keys keep verifying until they retire. */
  rotate(): Promise<SigningKey>;
}

export function createSigningKeyStore(options: {
  database: DatabaseClient;
  encryptionKey: Buffer;
  now?: () => Date;
}): SigningKeyStore {
  const now = options.now ?? (() => new Date());
  let keys: SigningKey[] | undefined;
  let loadedAt = 0;

  async function reload(): Promise<SigningKey[]> {
    keys = await loadSigningKeys(options.database.db, options.encryptionKey, now());
    loadedAt = Date.now();
    return keys;
  }

  async function rotate(): Promise<SigningKey> {
    const key = createSigningKey(now());
    const retiresAt = new Date(key.createdAt.getTime() + SIGNING_PERIOD_MS + VERIFY_GRACE_MS);
    await insertSigningKey(options.database.db, options.encryptionKey, key, retiresAt);
    await reload();
    return key;
  }

  async function signingKey(): Promise<SigningKey> {
    const ring = keys && Date.now() - loadedAt < REFRESH_INTERVAL_MS ? keys : await reload();
    const newest = ring[0];
    if (newest && now().getTime() - newest.createdAt.getTime() < SIGNING_PERIOD_MS) return newest;
    // No key yet, or the newest is past its signing period: look again (another replica may have
    // rotated), then create one. Two replicas racing here both insert; both keys verify, so that is harmless.
    const fresh = (await reload())[0];
    if (fresh && now().getTime() - fresh.createdAt.getTime() < SIGNING_PERIOD_MS) return fresh;
    return rotate();
  }

  async function resolve(kid: string): Promise<SigningKey | undefined> {
    const known = (keys ?? (await reload())).find((key) => key.kid === kid);
    if (known) return known;
    if (Date.now() - loadedAt < RELOAD_INTERVAL_MS) return undefined;
    return (await reload()).find((key) => key.kid === kid);
  }

  return { signingKey, resolve, rotate };
}
