// An installation's GitLab token: how it is sealed, and what to do when GitLab refuses it.

/** The sealing context of an installation's GitLab token (binds the ciphertext to its installation). */
export function gitlabTokenContext(instanceUrl: string, namespaceId: number | string): string {
  return `gitlab-token:${instanceUrl}:${namespaceId}`;
}

/** How to repair an installation whose token GitLab refused: the command with this installation's values. */
export function reconnectAdvice(connection: {
  instanceUrl: string;
  kind: "group" | "project";
  fullPath: string;
}): string {
  return (
    `create a new ${connection.kind} access token with the api scope and run ` +
    `\`terragate gitlab connect --url ${connection.instanceUrl} --${connection.kind} ${connection.fullPath} --token <token>\`` +
    " (or POST /api/v1/gitlab/installations)"
  );
}
