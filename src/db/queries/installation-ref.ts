// Naming an installation on the command line: `github:<id>`, `gitlab:<id>`, `internal:<id>`, or a bare number (the VCS's id).
import { and, eq, isNull, or } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { installations, type Vcs } from "../schema/index.ts";

export type InstallationRef =
  | { kind: "internal"; id: number }
  | { kind: "external"; vcs: Vcs; externalId: string }
  /** A bare number: the VCS's own installation id, as in the API's URLs, when exactly one VCS has it. */
  | { kind: "bare"; value: string };

export class InstallationRefError extends Error {
  override name = "InstallationRefError";
}

export function parseInstallationRef(text: string): InstallationRef {
  const trimmed = text.trim();
  const external = /^(github|gitlab):(.+)$/.exec(trimmed);
  if (external) return { kind: "external", vcs: external[1] as Vcs, externalId: external[2]! };
  const internal = /^internal:(\d{1,15})$/.exec(trimmed);
  if (internal) return { kind: "internal", id: Number(internal[1]) };
  if (/^\d{1,30}$/.test(trimmed)) return { kind: "bare", value: trimmed };
  throw new InstallationRefError(
    `"${text}" does not name an installation; use github:<installation id>, gitlab:<group or project id>, internal:<Terragate's id>, or the bare VCS id`,
  );
}

interface Found {
  id: number;
  vcs: Vcs;
  externalId: string;
  accountLogin: string;
}

const columns = {
  id: installations.id,
  vcs: installations.vcs,
  externalId: installations.externalId,
  accountLogin: installations.accountLogin,
};

/** `github:12345 (acme)`: the exact form to type, and whose it is. */
function describe(installation: Found): string {
  return `${installation.vcs}:${installation.externalId} (${installation.accountLogin})`;
}

/**
 * The live installation a reference names. A bare number is looked up among the VCSs' own ids; when
 * no VCS or several have it, the error lists every form that does match something (`github:N`,
 * `gitlab:N`, `internal:N`) so that the next command can be exact.
 */
export async function findInstallation(executor: Executor, ref: InstallationRef): Promise<Found> {
  const live = isNull(installations.deletedAt);
  const asText = ref.kind === "internal" ? String(ref.id) : ref.kind === "bare" ? ref.value : ref.externalId;
  const candidates = await executor
    .select(columns)
    .from(installations)
    .where(
      and(
        live,
        or(
          eq(installations.externalId, asText),
          /^\d{1,15}$/.test(asText) ? eq(installations.id, Number(asText)) : undefined,
        ),
      ),
    );
  const byVcsId = candidates.filter((candidate) => candidate.externalId === asText);
  const byInternalId = candidates.find((candidate) => String(candidate.id) === asText);
  const exact =
    ref.kind === "internal"
      ? byInternalId
      : ref.kind === "external"
        ? byVcsId.find((candidate) => candidate.vcs === ref.vcs)
        : byVcsId.length === 1
          ? byVcsId[0]
          : undefined;
  if (exact) return exact;

  const forms = [
    ...byVcsId.map(describe),
    ...(byInternalId
      ? [
          `internal:${byInternalId.id} (${byInternalId.vcs}:${byInternalId.externalId}, ${byInternalId.accountLogin})`,
        ]
      : []),
  ];
  const named =
    ref.kind === "internal"
      ? `internal:${ref.id}`
      : ref.kind === "external"
        ? `${ref.vcs}:${ref.externalId}`
        : ref.value;
  if (ref.kind === "bare" && byVcsId.length > 1) {
    throw new InstallationRefError(`${named} is ambiguous; say which: ${forms.join(", ")}`);
  }
  throw new InstallationRefError(
    forms.length > 0
      ? `no installation ${named}; did you mean ${forms.join(" or ")}?`
      : `no installation ${named}; it appears once the app is installed (GitHub) or the group/project is registered (GitLab)`,
  );
}
