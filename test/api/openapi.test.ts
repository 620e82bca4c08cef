// The OpenAPI description is complete and well-formed, and the docs page needs no network resources.
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
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["accessToken", "apiKey"]);
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
