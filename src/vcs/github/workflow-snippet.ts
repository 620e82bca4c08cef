// The .github/workflows/terragate.yml a repository adds: shown by the README and by the missing-workflow comment.

/** A workflow expression reading one dispatch input: `${{ inputs.NAME }}`. */
const input = (name: string) => `$${"{{"} inputs.${name} }}`;
/** A workflow expression reading a repository secret: `${{ secrets.NAME }}`. */
const secret = (name: string) => `$${"{{"} secrets.${name} }}`;

/** The server URL the README's copy of the workflow shows; the PR comment shows the server's own. */
export const exampleServerUrl = "https://terragate.example.com";

/**
 * The workflow the repository must hold on its default branch for Terragate to dispatch runs. The server
 * URL is written in the file: the action refuses a dispatch whose `api-base-url` names another server.
 */
export function workflowSnippet(apiUrl: string = exampleServerUrl): string {
  return [
    "name: terragate",
    `run-name: terragate ${input("work-manifest-id")}   # lets Terragate find this run again after a lost answer`,
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    "      work-manifest-id:",
    "        description: Terragate work manifest to run",
    "        required: true",
    "      work-token:",
    "        description: Single-use token (not needed with id-token write)",
    "        required: false",
    "      api-base-url:",
    "        description: Sent by Terragate; the action refuses to run when it is not the api-url below",
    "        required: false",
    "permissions:",
    "  contents: read",
    "  id-token: write        # lets the action authenticate with a GitHub OIDC token instead of the work token",
    "concurrency:",
    `  group: terragate-${input("work-manifest-id")}`,
    "jobs:",
    "  terragate:",
    "    runs-on: ubuntu-latest",
    "    timeout-minutes: 120",
    "    steps:",
    "      - uses: actions/checkout@v4",
    "      - uses: hashicorp/setup-terraform@v3   # or opentofu/setup-opentofu, or your own image",
    "        with:",
    "          terraform_wrapper: false",
    "      - uses: terragate/terragate/action@v0  # the action/ directory of this repository, at a release tag",
    "        with:",
    `          api-url: ${apiUrl}   # your Terragate server, pinned here (never taken from the dispatch)`,
    `          work-manifest-id: ${input("work-manifest-id")}`,
    `          work-token: ${input("work-token")}`,
    "        env:",
    "          # Credentials terraform needs; their values are redacted from everything sent back.",
    `          AWS_ACCESS_KEY_ID: ${secret("AWS_ACCESS_KEY_ID")}`,
    `          AWS_SECRET_ACCESS_KEY: ${secret("AWS_SECRET_ACCESS_KEY")}`,
  ].join("\n");
}
