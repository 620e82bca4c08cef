// Dirspaces (dir × workspace): identity, ordering, display, and the resolved settings evaluation attaches.
import { defaultSteps } from "../runner/protocol.ts";
import type { Engine, Step } from "./repo-config.ts";

/** A directory relative to the repository root (`.` for the root) and a terraform workspace. */
export interface DirspaceRef {
  dir: string;
  workspace: string;
}

/** The engine and steps a dirspace runs; `index` is the position in `workflows`, null for the default. */
export interface DirspaceWorkflow {
  index: number | null;
  engine: Engine;
  plan: Step[];
  apply: Step[];
}

/** A dirspace with everything the config says about it, and whether the PR's changes touch it. */
export interface Dirspace extends DirspaceRef {
  /** The dir's tags, then the workspace's, then the implicit `dir:DIR` and `workspace:NAME`. */
  tags: string[];
  autoplan: boolean;
  autoplanDraftPr: boolean;
  filePatterns: string[];
  workflow: DirspaceWorkflow;
  changed: boolean;
}

/** The workflow used when no `workflows` entry matches: init + plan and init + apply with terraform. */
export const defaultWorkflow: DirspaceWorkflow = {
  index: null,
  engine: { name: "terraform" },
  plan: defaultSteps.plan,
  apply: defaultSteps.apply,
};

/** A string identifying a dirspace, usable as a Map key (NUL cannot occur in a valid path). */
export function dirspaceKey(dirspace: DirspaceRef): string {
  return `${dirspace.dir}\0${dirspace.workspace}`;
}

/** Orders by dir, then workspace, by code unit (stable across locales). */
export function compareDirspaces(a: DirspaceRef, b: DirspaceRef): number {
  if (a.dir !== b.dir) return a.dir < b.dir ? -1 : 1;
  if (a.workspace !== b.workspace) return a.workspace < b.workspace ? -1 : 1;
  return 0;
}

/** `infra/a (default)`, as comments and check runs name a dirspace. */
export function formatDirspace(dirspace: DirspaceRef): string {
  return `${dirspace.dir} (${dirspace.workspace})`;
}

/** The implicit tags every dirspace carries. */
export function implicitTags(dirspace: DirspaceRef): [string, string] {
  return [`dir:${dirspace.dir}`, `workspace:${dirspace.workspace}`];
}
