// The .gitlab-ci.yml a project adds for Terragate: shown by the README and by the note when it is missing.
import { ciFilePath } from "../../api/gitlab/ci-file-routes.ts";

/**
 * The component's address: the Terragate server serves it (and the runner it downloads), so the
 * project runs the version of its server with nothing else to host; a mirror on GitLab works too.
 */
export function componentRemoteUrl(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, "")}${ciFilePath("terragate.yml")}`;
}

export function gitlabCiSnippet(serverUrl = "https://terragate.example.com"): string {
  return [
    "# .gitlab-ci.yml on the default branch: Terragate creates its pipelines from this file there.",
    "spec:",
    "  inputs:",
    "    terragate_work_manifest_id:",
    '      default: ""',
    "    terragate_api_url:",
    '      default: ""',
    "    terragate_work_token:",
    '      default: ""',
    "---",
    "workflow:",
    "  # Lets Terragate find its pipeline again when GitLab's answer to creating it was lost.",
    '  name: "terragate $[[ inputs.terragate_work_manifest_id ]]"',
    "",
    "variables:",
    "  TERRAGATE_WORK_MANIFEST_ID: $[[ inputs.terragate_work_manifest_id ]]",
    "",
    "include:",
    `  - remote: ${componentRemoteUrl(serverUrl)}`,
    "    inputs:",
    `      server_url: ${serverUrl}`,
    "      work_manifest_id: $[[ inputs.terragate_work_manifest_id ]]",
    "      work_token: $[[ inputs.terragate_work_token ]]",
    "",
    "# Your own jobs stay out of Terragate's pipelines:",
    "lint:",
    "  script: terraform fmt -check -recursive",
    "  rules:",
    "    - if: $TERRAGATE_WORK_MANIFEST_ID",
    "      when: never",
    "    - when: on_success",
    "",
  ].join("\n");
}
