// Merge request notes about the installation's token: it expires soon, or GitLab refused it.
import type { DatabaseClient } from "../../db/client.ts";
import { getGitlabConnection } from "../../db/queries/gitlab-connections.ts";
import type { PrEvent, VcsProvider } from "../types.ts";
import { reconnectAdvice } from "./token.ts";

/** How long before a token's expiry merge requests are told about it. */
const warnDays = 14;
const dayMs = 24 * 60 * 60 * 1000;

export function tokenNoteMarker(iid: number): string {
  return `<!-- terragate:gitlab-token:pr-${iid} -->`;
}

/**
 * The note an opened or updated MR gets when its installation's token is broken (GitLab refused it
 * before; the note goes through only if GitLab accepts the token again) or expires within two weeks;
 * null when the token is fine.
 */
export function tokenNote(
  connection: {
    instanceUrl: string;
    kind: "group" | "project";
    fullPath: string;
    brokenAt: Date | null;
    tokenExpiresAt: string | null;
  },
  now: Date,
): string | null {
  const advice = reconnectAdvice(connection);
  if (connection.brokenAt !== null) {
    return `:warning: **Terragate's access token for ${connection.kind} \`${connection.fullPath}\` was refused by GitLab** on ${connection.brokenAt.toISOString().slice(0, 10)} (revoked or expired); runs may fail until it is replaced. To reconnect, ${advice}.`;
  }
  if (connection.tokenExpiresAt === null) return null;
  const expires = Date.parse(`${connection.tokenExpiresAt}T00:00:00Z`);
  if (!Number.isFinite(expires) || expires - now.getTime() > warnDays * dayMs) return null;
  const when = expires <= now.getTime() ? "expired on" : "expires on";
  return `:warning: **Terragate's access token for ${connection.kind} \`${connection.fullPath}\` ${when} ${connection.tokenExpiresAt}**; after that nothing runs for this ${connection.kind}'s merge requests. Before then, ${advice}.`;
}

/** Posts (or refreshes) the token note on the MR when there is one to give. */
export async function noteTokenTrouble(
  database: DatabaseClient,
  provider: VcsProvider,
  event: PrEvent,
  now = new Date(),
): Promise<void> {
  const connection = await getGitlabConnection(database.db, event.installation.externalId);
  const body = connection ? tokenNote(connection, now) : null;
  if (body === null) return;
  const iid = event.pullRequest.number;
  await provider.upsertComment(iid, tokenNoteMarker(iid), `${tokenNoteMarker(iid)}\n${body}`);
}
