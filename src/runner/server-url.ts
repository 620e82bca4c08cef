// Which server a run talks to: the URL pinned in the workflow file, never one a dispatch can choose.
import { readFile } from "node:fs/promises";

/** A URL and where it came from, so a refusal can name both sides. */
export interface UrlSource {
  value: string;
  source: string;
}

export type ServerUrlDecision =
  | { type: "ok"; apiUrl: string; warnings: string[] }
  | { type: "refused"; reason: string }
  | { type: "missing" };

/** A dispatch that names another server than the pinned one: the run stops before anything runs. */
export class ServerUrlRefusedError extends Error {
  override name = "ServerUrlRefusedError";
}

/** Scheme, host, port and path without trailing slashes; the same server however it is written. */
export function normalizeServerUrl(value: string): string {
  if (!URL.canParse(value.trim())) return value.trim();
  const url = new URL(value.trim());
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * The pinned URL (the first of `pinned`) wins, and every URL the dispatch carries must name the same
 * server: a dispatch naming another one is refused before anything runs, because whoever answers there
 * would choose the steps this job runs with its secrets. Without a pinned URL (workflow files written
 * before pinning) the dispatch's URL is used, with a warning.
 */
export function decideServerUrl(pinned: UrlSource[], dispatched: UrlSource[]): ServerUrlDecision {
  const [chosen] = pinned;
  if (chosen) {
    const server = normalizeServerUrl(chosen.value);
    for (const other of [...pinned.slice(1), ...dispatched]) {
      if (normalizeServerUrl(other.value) !== server) {
        return {
          type: "refused",
          reason: `${other.source} names the server ${other.value}, but ${chosen.source} pins ${chosen.value}; refusing to run anything. Whoever dispatched this run may be trying to send its secrets to another server: check who started it. If the server really moved, change the pinned URL in .github/workflows/terragate.yml on the default branch.`,
        };
      }
    }
    return { type: "ok", apiUrl: server, warnings: [] };
  }
  const [first] = dispatched;
  if (!first) return { type: "missing" };
  const server = normalizeServerUrl(first.value);
  const disagreeing = dispatched.find((other) => normalizeServerUrl(other.value) !== server);
  if (disagreeing) {
    return {
      type: "refused",
      reason: `${first.source} names ${first.value} but ${disagreeing.source} names ${disagreeing.value}; refusing to run anything`,
    };
  }
  return {
    type: "ok",
    apiUrl: server,
    warnings: [
      `the Terragate server URL comes from ${first.source}, which whoever can dispatch the workflow chooses. Pin it in .github/workflows/terragate.yml (the action's \`api-url\` input, or env TERRAGATE_API_URL) so a dispatch cannot point this run and its secrets at another server.`,
    ],
  };
}

/**
 * The `api-base-url` a workflow_dispatch carried, read from the event payload GitHub Actions writes
 * (GITHUB_EVENT_PATH): it is there whether or not the workflow file passes it on to the action.
 */
export async function readDispatchedApiUrl(
  eventName: string | undefined,
  eventPath: string | undefined,
): Promise<UrlSource | undefined> {
  if (eventName !== "workflow_dispatch" || eventPath === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(await readFile(eventPath, "utf8"));
  } catch {
    return undefined;
  }
  const inputs = (payload as { inputs?: Record<string, unknown> } | null)?.inputs;
  const value = inputs?.["api-base-url"];
  return typeof value === "string" && value.trim() !== ""
    ? { value, source: "the workflow_dispatch input api-base-url" }
    : undefined;
}
