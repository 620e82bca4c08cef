// Which changed files alter what Terragate runs (its config, the dispatched workflow): those need `config_update`.

/** The workflow Terragate dispatches, relative to the repository root. */
export const terragateWorkflowPath = ".github/workflows/terragate.yml";

/** `.terragate/**` and the workflow file: a PR touching them changes which steps run with the deploy secrets. */
export function isConfigPath(path: string): boolean {
  return path.startsWith(".terragate/") || path === terragateWorkflowPath;
}

/** The changed files that need `config_update`, in the order given, without repeats. */
export function configChanges(changedFiles: readonly string[]): string[] {
  return [...new Set(changedFiles.filter(isConfigPath))];
}
