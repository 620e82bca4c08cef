// The OpenAPI description is complete and well-formed, real responses match its schemas, and the docs page needs no network resources.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiFixture, createApiFixture } from "./api-fixture.ts";

let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await createApiFixture();
});
afterAll(async () => {
  await fixture?.close();
});

interface Operation {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

function collectRefs(value: unknown, refs: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectRefs(item, refs);
  else if (value && typeof value === "object") {
    for (const [name, inner] of Object.entries(value)) {
      if (name === "$ref" && typeof inner === "string") refs.add(inner);
      else collectRefs(inner, refs);
    }
  }
}

describe("openapi.json", () => {
  it("describes every route the API registers, each with its path parameters, responses and security", async () => {
    const response = await fixture.app.request("/api/v1/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Document;
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBeTruthy();
    expect(doc.servers[0]!.url).toBe("/api/v1");

    const registered = fixture.app.routes
      .filter((route) => route.path.startsWith("/api/v1/") && route.method !== "ALL")
      .map((route) => `${route.method.toLowerCase()} ${route.path.slice("/api/v1".length)}`)
      .filter((route) => !route.endsWith(" /openapi.json"));
    const described = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    expect(registered.length).toBeGreaterThanOrEqual(19);
    expect(new Set(described)).toEqual(new Set(registered));

    for (const [path, operations] of Object.entries(doc.paths)) {
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method} ${path}`;
        expect(operation.summary, where).toBeTruthy();
        const declared = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
        expect(declared.sort(), where).toEqual([...pathParams].sort());
        const success = Object.keys(operation.responses).filter((status) => status.startsWith("2"));
        expect(success.length, where).toBe(1);
        expect(operation.responses["401"], where).toBeDefined();
        expect(operation.security, where).toBeDefined();
      }
    }
    const refs = new Set<string>();
    collectRefs(doc, refs);
    for (const ref of refs) {
      const name = ref.replace("#/components/schemas/", "");
      expect(doc.components.schemas[name], ref).toBeDefined();
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      "accessToken",
      "adminToken",
      "apiKey",
      "gitlabWebhookToken",
    ]);
  });

  it("answers every operation, and its errors, with bodies its response schemas accept", async () => {
    const doc = (await (await fixture.app.request("/api/v1/openapi.json")).json()) as Document;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc as object, "openapi");
    const token = await fixture.token(fixture.a);
    const manifest = fixture.a.manifestIds[0]!;
    const gh = "/github/installations/1001";
    const kv = "/github/kv/1001";
    const keyToRevoke = (await (
      await fixture.call("POST", "/api/v1/access-tokens", token, {
        name: "revoke me",
        capabilities: ["kv_read"],
      })
    ).json()) as { id: string };
    /** One real request per operation (template → concrete path, body), in an order that makes each succeed. */
    const samples: Array<[operation: string, path: string, body?: unknown]> = [
      ["post /access-token/refresh", "/access-token/refresh"],
      ["get /access-tokens", "/access-tokens"],
      ["post /access-tokens", "/access-tokens", { name: "docs", capabilities: ["kv_read"] }],
      ["delete /access-tokens/{id}", `/access-tokens/${keyToRevoke.id}`],
      ["get /{vcs}/installations", "/github/installations"],
      ["get /{vcs}/installations/{installation}/repos", `${gh}/repos`],
      ["get /{vcs}/installations/{installation}/pull-requests", `${gh}/pull-requests`],
      ["get /{vcs}/installations/{installation}/work-manifests", `${gh}/work-manifests?q=prod`],
      ["get /{vcs}/installations/{installation}/work-manifests/{wm}", `${gh}/work-manifests/${manifest}`],
      [
        "get /{vcs}/installations/{installation}/work-manifests/{wm}/outputs",
        `${gh}/work-manifests/${manifest}/outputs`,
      ],
      ["get /{vcs}/installations/{installation}/dirspaces", `${gh}/dirspaces`],
      ["get /{vcs}/installations/{installation}/locks", `${gh}/locks`],
      ["get /{vcs}/installations/{installation}/drift", `${gh}/drift?q=prod`],
      [
        "post /{vcs}/installations/{installation}/locks/unlock",
        `${gh}/locks/unlock`,
        { repo: "alpha/infra", pull_request: 7 },
      ],
      [
        "post /{vcs}/installations/{installation}/repos/refresh",
        `${gh}/repos/refresh`,
        { repo: "alpha/infra" },
      ],
      ["get /{vcs}/installations/{installation}/audit", `${gh}/audit`],
      ["get /{vcs}/installations/{installation}/repos/{repo}/stacks", `${gh}/repos/alpha%2Finfra/stacks`],
      [
        "get /{vcs}/installations/{installation}/repos/{repo}/stacks/graph",
        `${gh}/repos/alpha%2Finfra/stacks/graph`,
      ],
      [
        "get /{vcs}/installations/{installation}/pull-requests/{number}/stacks",
        `${gh}/pull-requests/7/stacks`,
      ],
      ["put /{vcs}/kv/{installation}/key/{key}", `${kv}/key/docs%2Fa`, { value: { n: 1 } }],
      ["get /{vcs}/kv/{installation}/key/{key}", `${kv}/key/docs%2Fa`],
      ["put /{vcs}/kv/{installation}/cas/key/{key}", `${kv}/cas/key/docs%2Fa`, { value: 2, version: 1 }],
      ["get /{vcs}/kv/{installation}/iter/{prefix}", `${kv}/iter/docs`],
      ["get /{vcs}/kv/{installation}/count/{prefix}", `${kv}/count/docs`],
      [
        "post /{vcs}/kv/{installation}/commit",
        `${kv}/commit`,
        {
          ops: [
            { op: "set", key: "docs/b", value: null },
            { op: "delete", key: "docs/b" },
          ],
        },
      ],
      ["delete /{vcs}/kv/{installation}/key/{key}", `${kv}/key/docs%2Fa`],
    ];
    // Operations behind the access token; the GitLab webhook and admin routes (own credentials, a fake
    // GitLab) are checked the same way in test/gitlab/openapi-gitlab.test.ts.
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(
          ([, operation]) =>
            !(operation.security ?? []).some(
              (entry) => "adminToken" in (entry as object) || "gitlabWebhookToken" in (entry as object),
            ),
        )
        .map(([method]) => `${method} ${path}`),
    );
    expect(samples.map(([operation]) => operation).sort()).toEqual(operations.sort());

    const check = async (operation: string, path: string, body: unknown, credential: string | undefined) => {
      const [method, template] = operation.split(" ") as [string, string];
      const key = (await fixture.apiKey(fixture.a)).key;
      const bearer = credential ?? (operation === "post /access-token/refresh" ? key : token);
      const response = await fixture.call(method.toUpperCase(), `/api/v1${path}`, bearer, body);
      const status = String(response.status);
      const declared = doc.paths[template]![method]!.responses[status];
      expect(declared, `${operation} answered ${status}, which it does not declare`).toBeDefined();
      const pointer = `openapi#/paths/${template.replaceAll("~", "~0").replaceAll("/", "~1")}/${method}/responses/${status}/content/application~1json/schema`;
      const validate = ajv.compile({ $ref: pointer });
      const json: unknown = await response.json();
      expect(
        validate(json) ? [] : validate.errors,
        `${operation} → ${status}: ${JSON.stringify(json).slice(0, 300)}`,
      ).toEqual([]);
      return status;
    };
    for (const [operation, path, body] of samples) {
      expect(await check(operation, path, body, undefined), operation).toMatch(/^2/);
      // The same call without a valid token: the declared 401 body.
      expect(await check(operation, path, body, "tgk_not-a-key"), operation).toBe("401");
    }
    // Errors past authentication: another installation's id, and a body that is not valid.
    expect(
      await check(
        "get /{vcs}/installations/{installation}/repos",
        "/github/installations/2002/repos",
        undefined,
        undefined,
      ),
    ).toBe("404");
    expect(
      await check("put /{vcs}/kv/{installation}/key/{key}", `${kv}/key/x`, { nothing: 1 }, undefined),
    ).toBe("400");
  });

  it("serves a docs page that loads nothing from other hosts", async () => {
    const response = await fixture.app.request("/api/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("/api/v1/openapi.json");
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it("answers unknown API paths with the JSON error shape", async () => {
    const token = await fixture.token(fixture.a);
    const response = await fixture.call("GET", "/api/v1/github/nothing-here", token);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
