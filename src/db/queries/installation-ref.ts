// Naming an installation on the command line: `github:<id>`, `gitlab:<id>` (the VCS's ids) or Terragate's numeric id.
import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { installations, type Vcs } from "../schema/index.ts";

export type InstallationRef =
  | { kind: "internal"; id: number }
  | { kind: "external"; vcs: Vcs; externalId: string };

export class InstallationRefError extends Error {
  override name = "InstallationRefError";
}

export function parseInstallationRef(text: string): InstallationRef {
  const external = /^(github|gitlab):(.+)$/.exec(text.trim());
  if (external) return { kind: "external", vcs: external[1] as Vcs, externalId: external[2]! };
  if (/^\d+$/.test(text.trim())) return { kind: "internal", id: Number(text.trim()) };
  throw new InstallationRefError(
    `"${text}" does not name an installation; use github:<installation id>, gitlab:<group or project id>, or Terragate's numeric id`,
  );
}

export async function findInstallation(executor: Executor, ref: InstallationRef) {
  const condition =
    ref.kind === "internal"
      ? eq(installations.id, ref.id)
      : and(eq(installations.vcs, ref.vcs), eq(installations.externalId, ref.externalId));
  const [installation] = await executor
    .select({
      id: installations.id,
      vcs: installations.vcs,
      externalId: installations.externalId,
      accountLogin: installations.accountLogin,
    })
    .from(installations)
    .where(and(condition, isNull(installations.deletedAt)));
  if (!installation) {
    const shown = ref.kind === "internal" ? `with id ${ref.id}` : `${ref.vcs}:${ref.externalId}`;
    throw new InstallationRefError(
      `no installation ${shown}; it appears once the app is installed (GitHub) or the group/project is registered (GitLab)`,
    );
  }
  return installation;
}
