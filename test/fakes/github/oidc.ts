// The fake's GitHub Actions OIDC provider: a JWKS, the job's token request endpoint, tokens with GitHub's claims.
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { FakeResponse } from "./server.ts";
import type { FakeGithubState, FakeWorkflowRun } from "./state.ts";

/** Where the issuer lives under the fake's base URL: GitHub Enterprise Server's `/_services/token`. */
export const oidcIssuerPath = "/_services/token";

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export class FakeOidcIssuer {
  readonly issuer: string;
  readonly #keyId = `fake-${randomUUID().slice(0, 8)}`;
  #key: SigningKey | undefined;
  #jwk: JWK | undefined;

  constructor(baseUrl: string) {
    this.issuer = `${baseUrl}${oidcIssuerPath}`;
  }

  async #keys(): Promise<{ key: SigningKey; jwk: JWK }> {
    if (!this.#key || !this.#jwk) {
      const pair = await generateKeyPair("RS256");
      this.#key = pair.privateKey;
      this.#jwk = { ...(await exportJWK(pair.publicKey)), kid: this.#keyId, alg: "RS256", use: "sig" };
    }
    return { key: this.#key, jwk: this.#jwk };
  }

  /**
   * The token a job of `run` gets for `audience`, with the claims GitHub documents (ids as strings).
   * `overrides` changes or removes (undefined) claims, for tokens GitHub would never sign.
   */
  async token(
    state: FakeGithubState,
    run: FakeWorkflowRun,
    audience: string,
    overrides: Record<string, unknown> = {},
  ): Promise<string> {
    const { key } = await this.#keys();
    const repo = state.repo(run.repo);
    const workflowRef = `${run.repo}/${run.path}@${run.ref}`;
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      sub: `repo:${run.repo}:ref:${run.ref}`,
      ref: run.ref,
      sha: run.headSha,
      repository: run.repo,
      repository_owner: repo.owner,
      repository_owner_id: String(repo.id + 100_000),
      repository_id: String(repo.id),
      repository_visibility: repo.private ? "private" : "public",
      run_id: String(run.id),
      run_number: String(run.runNumber),
      run_attempt: "1",
      runner_environment: "github-hosted",
      actor: run.actor,
      actor_id: String(run.actor.length * 1000 + 1),
      workflow: run.workflowName,
      head_ref: "",
      base_ref: "",
      event_name: run.event,
      ref_type: "branch",
      ref_protected: "false",
      workflow_ref: workflowRef,
      workflow_sha: run.headSha,
      job_workflow_ref: workflowRef,
      job_workflow_sha: run.headSha,
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

  /** Answers the issuer's discovery document, its JWKS, and the Actions token request; undefined for other paths. */
  async answer(
    state: FakeGithubState,
    path: string,
    query: URLSearchParams,
    authorization: string | undefined,
  ): Promise<FakeResponse | undefined> {
    if (path === `${oidcIssuerPath}/.well-known/openid-configuration`) {
      return {
        status: 200,
        body: {
          issuer: this.issuer,
          jwks_uri: `${this.issuer}/.well-known/jwks`,
          subject_types_supported: ["public", "pairwise"],
          response_types_supported: ["id_token"],
          id_token_signing_alg_values_supported: ["RS256"],
          claims_supported: [
            "sub",
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "nbf",
            "ref",
            "repository",
            "repository_id",
            "run_id",
            "event_name",
            "workflow_ref",
            "job_workflow_ref",
          ],
        },
      };
    }
    if (path === `${oidcIssuerPath}/.well-known/jwks`) {
      const { jwk } = await this.#keys();
      return { status: 200, body: { keys: [jwk] } };
    }
    if (path === "/_actions/id-token") {
      // What a job with `id-token: write` calls: ACTIONS_ID_TOKEN_REQUEST_URL with its request token.
      const run = state.workflowRuns.find((candidate) => candidate.id === Number(query.get("run")));
      const presented = /^bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
      if (!run || presented !== run.idTokenRequestToken) {
        return { status: 401, body: { message: "Bad credentials" } };
      }
      const audience = query.get("audience") ?? `https://github.com/${state.repo(run.repo).owner}`;
      return { status: 200, body: { count: 1, value: await this.token(state, run, audience) } };
    }
    return undefined;
  }
}
