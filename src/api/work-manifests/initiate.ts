// Building the manifest a run receives from initiate: its dirspaces, workflows, token and run settings.
import { issueManifestToken } from "../../crypto/work-token.ts";
import type { pullRequests, repositories, Vcs } from "../../db/schema/index.ts";
import type { Manifest, ManifestOperation } from "../../runner/protocol.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { AppDeps } from "../app.ts";
import {
  RunConfig,
  resolveWorkflow,
  type WorkManifestDirspaceRow,
  type WorkManifestRow,
} from "./manifest-store.ts";

const operationsByKind: Record<WorkManifestRow["kind"], ManifestOperation[]> = {
  plan: ["plans:write", "results:write"],
  apply: ["plans:read", "apply:start", "results:write"],
  autoapprove: ["plans:write", "apply:start", "results:write"],
  // apply:start only reaches dirspaces drift may reconcile (the server checks each one when it is asked).
  drift: ["plans:write", "apply:start", "results:write"],
};

export type ManifestResponse = { type: "manifest"; manifest: Manifest } | { type: "invalid"; reason: string };

export async function buildManifestResponse(
  deps: AppDeps,
  vcs: Vcs,
  manifest: WorkManifestRow,
  repository: typeof repositories.$inferSelect,
  pullRequest: typeof pullRequests.$inferSelect | undefined,
  dirspaces: WorkManifestDirspaceRow[],
): Promise<ManifestResponse> {
  const runConfig = RunConfig.safeParse(manifest.runConfig ?? {});
  if (!runConfig.success) {
    return {
      type: "invalid",
      reason: `the manifest's run configuration is invalid: ${runConfig.error.message}`,
    };
  }
  const resolved: Manifest["dirspaces"] = [];
  for (const dirspace of dirspaces) {
    try {
      resolved.push({
        dir: dirspace.dir,
        workspace: dirspace.workspace,
        workflow: resolveWorkflow(dirspace.workflow, manifest.kind),
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        type: "invalid",
        reason: `the \`workflows\` entry of ${dirspace.dir} (${dirspace.workspace}) is invalid: ${detail}; fix it in .terragate/config.yml`,
      };
    }
  }
  const lifetimeSeconds = deps.config.TERRAGATE_RUN_TIMEOUT_MINUTES * 60 + 600;
  const { token, expiresAt } = await issueManifestToken(
    deps.encryptionKey,
    {
      manifestId: manifest.id,
      repositoryId: manifest.repositoryId,
      installationId: manifest.installationId,
      operations: operationsByKind[manifest.kind],
    },
    lifetimeSeconds,
  );
  return {
    type: "manifest",
    manifest: {
      type: "manifest",
      id: manifest.id,
      kind: manifest.kind,
      token,
      token_expires_at: expiresAt.toISOString(),
      repository: {
        full_name: repository.fullName,
        clone_url: `${await platformFor(vcs).links.instanceUrl(deps, manifest.installationId)}/${repository.fullName}.git`,
        vcs,
      },
      pull_request: pullRequest?.number ?? null,
      base: { ref: manifest.baseRef, sha: manifest.baseSha },
      head: { ref: manifest.headRef, sha: manifest.headSha },
      parallelism: runConfig.data.parallelism,
      secret_env: runConfig.data.secret_env,
      step_timeout_seconds: runConfig.data.step_timeout_seconds,
      dirspaces: resolved,
      ...(manifest.traceParent ? { traceparent: manifest.traceParent } : {}),
    },
  };
}
