// The GitLab routes under /api/v1 answer with bodies their openapi.json response schemas accept, errors included.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import { mergeRequestHook, project } from "./payloads.ts";

let bed: GitlabBed;

beforeAll(async () => {
  bed = await createGitlabBed();
  const { state } = bed.gitlab;
  const bot = state.addUser("group_acme_bot", { bot: true });
  state.addToken("glpat-good", bot.username);
  state.addGroup("acme").members.set(bot.id, 50);
  state.addProject("acme/infra");
});
afterAll(async () => {
  await bed?.close();
});

describe("openapi.json for the GitLab routes", () => {
  it("declares every status they answer, with a body its schema accepts", async () => {
    const doc = (await (await bed.app.request("/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc as object, "openapi");
    const check = async (template: string, response: Response) => {
      const status = String(response.status);
      expect(
        doc.paths[template]?.["post"]?.responses[status],
        `${template} answered ${status}`,
      ).toBeDefined();
      const pointer = `openapi#/paths/${template.replaceAll("/", "~1")}/post/responses/${status}/content/application~1json/schema`;
      const validate = ajv.compile({ $ref: pointer });
      const json: unknown = await response.json();
      expect(
        validate(json) ? [] : validate.errors,
        `${template} → ${status}: ${JSON.stringify(json)}`,
      ).toEqual([]);
      return response.status;
    };
    const connect = (body: unknown, token = adminToken) =>
      bed.app.request("/api/v1/gitlab/installations", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(
      await check(
        "/gitlab/installations",
        await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" }),
      ),
    ).toBe(201);
    expect(
      await check("/gitlab/installations", await connect({ group: "acme", token: "glpat-good" }, "wrong")),
    ).toBe(401);
    expect(await check("/gitlab/installations", await connect({ group: "acme" }))).toBe(400);
    expect(
      await check(
        "/gitlab/installations",
        await connect({ url: bed.gitlab.url, project: "acme/infra", token: "glpat-good" }),
      ),
    ).toBe(409);

    const secret = bed.gitlab.state.group("acme")?.hooks[0]?.token ?? "";
    const payload = mergeRequestHook({
      action: "open",
      project: project({ id: 9, path_with_namespace: "acme/infra" }),
    });
    expect(
      await check("/gitlab/events", await bed.send("Merge Request Hook", payload, { token: secret })),
    ).toBe(202);
    expect(
      await check("/gitlab/events", await bed.send("Merge Request Hook", payload, { token: "wrong" })),
    ).toBe(401);
    const outside = mergeRequestHook({
      action: "open",
      project: project({ id: 10, path_with_namespace: "other/infra" }),
    });
    expect(
      await check("/gitlab/events", await bed.send("Merge Request Hook", outside, { token: secret })),
    ).toBe(403);
  });
});
