// The fake GitLab's id_token issuer: its JWKS at /oauth/discovery/keys and tokens with GitLab CI's claims.
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { FakeResponse } from "./server.ts";
import type { FakePipeline, FakeProject } from "./state.ts";

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export class FakeGitlabIdTokens {
  readonly #keyId = `fake-gitlab-${randomUUID().slice(0, 8)}`;
  #keys: Promise<{ key: SigningKey; jwk: JWK }> | undefined;

  readonly issuer: string;

  constructor(issuer: string) {
    this.issuer = issuer;
  }

  #signingKey(): Promise<{ key: SigningKey; jwk: JWK }> {
    this.#keys ??= generateKeyPair("RS256").then(async (pair) => ({
      key: pair.privateKey,
      jwk: { ...(await exportJWK(pair.publicKey)), kid: this.#keyId, alg: "RS256", use: "sig" },
    }));
    return this.#keys;
  }

  /**
   * The id_token a job of `pipeline` gets for `audience`, with the claims GitLab documents (ids as
   * strings, ref_protected "true"/"false"). `overrides` changes or removes (undefined) claims.
   */
  async token(
    project: FakeProject,
    pipeline: FakePipeline,
    audience: string,
    overrides: Record<string, unknown> = {},
  ): Promise<string> {
    const { key } = await this.#signingKey();
    const host = new URL(this.issuer).host;
    const namespace = project.path.slice(0, project.path.lastIndexOf("/"));
    const protectedRef = pipeline.ref === project.defaultBranch;
    const claims: Record<string, unknown> = {
      namespace_id: "1",
      namespace_path: namespace,
      project_id: String(project.id),
      project_path: project.path,
      user_id: "42",
      user_login: "terragate_bot",
      pipeline_id: String(pipeline.id),
      pipeline_source: pipeline.source,
      job_id: String(pipeline.id * 10),
      ref: pipeline.ref,
      ref_type: "branch",
      ref_path: `refs/heads/${pipeline.ref}`,
      ref_protected: protectedRef ? "true" : "false",
      runner_id: 1,
      runner_environment: "self-hosted",
      sha: pipeline.sha,
      project_visibility: project.visibility,
      ci_config_ref_uri: `${host}/${project.path}//.gitlab-ci.yml@refs/heads/${pipeline.ref}`,
      ci_config_sha: pipeline.sha,
      jti: randomUUID(),
      sub: `project_path:${project.path}:ref_type:branch:ref:${pipeline.ref}`,
    };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: this.#keyId, typ: "JWT" })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setNotBefore(now - 5)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key);
  }

  /** The JWKS GitLab publishes for its id_tokens; undefined for other paths. */
  async answer(path: string): Promise<FakeResponse | undefined> {
    if (path !== "/oauth/discovery/keys") return undefined;
    const { jwk } = await this.#signingKey();
    return { status: 200, body: { keys: [jwk] } };
  }
}
