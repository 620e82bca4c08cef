// The workflow Terragate dispatches: its file on the default branch, and the title each of its runs carries.

/** The workflow file every repository holds on its default branch; Terragate dispatches only this one. */
export const workflowFile = "terragate.yml";

/**
 * The title (`run-name: terragate ${{ inputs.work-manifest-id }}`) of the run dispatched for a manifest:
 * a retry finds the run an earlier attempt created by it, instead of dispatching a second one.
 */
export function dispatchedRunTitle(manifestId: string): string {
  return `terragate ${manifestId}`;
}
