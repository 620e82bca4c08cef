// The setup flow's records: single use of a state, the one app's credentials, and forgetting them (`terragate setup reset`).
import { desc, lt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { appCredentials, setupStates } from "../schema/index.ts";

/** Records the state as used; false when it was used before (a replayed callback). */
export async function consumeSetupState(
  executor: Executor,
  stateHash: string,
  expiresAt: Date,
): Promise<boolean> {
  await executor.delete(setupStates).where(lt(setupStates.expiresAt, sql`now()`));
  const inserted = await executor
    .insert(setupStates)
    .values({ stateHash, expiresAt, consumedAt: sql`now()` })
    .onConflictDoNothing()
    .returning({ stateHash: setupStates.stateHash });
  return inserted.length === 1;
}

export interface StoredApp {
  appId: string;
  slug: string;
  htmlUrl: string;
  createdAt: Date;
}

export async function storedApp(executor: Executor): Promise<StoredApp | undefined> {
  const [row] = await executor
    .select({
      appId: appCredentials.appId,
      slug: appCredentials.slug,
      htmlUrl: appCredentials.htmlUrl,
      createdAt: appCredentials.createdAt,
    })
    .from(appCredentials)
    .orderBy(desc(appCredentials.createdAt))
    .limit(1);
  return row;
}

/**
 * Stores the app the setup flow created; false when an app is stored already. One app per server
 * is a unique index, so two callbacks racing cannot both succeed.
 */
export async function storeFirstApp(
  executor: Executor,
  app: { appId: string; slug: string; htmlUrl: string; clientId: string | null; secretsSealed: Buffer },
): Promise<boolean> {
  const inserted = await executor
    .insert(appCredentials)
    .values(app)
    .onConflictDoNothing()
    .returning({ appId: appCredentials.appId });
  return inserted.length === 1;
}

/** Forgets the stored app (and used states), so that /setup may create another; returns what was forgotten. */
export async function forgetApps(executor: Executor): Promise<StoredApp[]> {
  const removed = await executor.delete(appCredentials).returning({
    appId: appCredentials.appId,
    slug: appCredentials.slug,
    htmlUrl: appCredentials.htmlUrl,
    createdAt: appCredentials.createdAt,
  });
  await executor.delete(setupStates);
  return removed;
}
