// The KV store through the API: versions, compare-and-swap, prefix iteration and count, atomic commits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiFixture, createApiFixture } from "./api-fixture.ts";

let fixture: ApiFixture;
let token: string;
const base = "/api/v1/github/kv/1001";

beforeAll(async () => {
  fixture = await createApiFixture();
  token = await fixture.token(fixture.a, ["kv_read", "kv_write"]);
});
afterAll(async () => {
  await fixture?.close();
});

const key = (name: string) => `${base}/key/${encodeURIComponent(name)}`;

describe("kv", () => {
  it("stores JSON values with a version that grows on every write", async () => {
    expect((await fixture.call("GET", key("deploy/window"), token)).status).toBe(404);
    const first = await fixture.call("PUT", key("deploy/window"), token, {
      value: { open: true, hours: [9, 17] },
    });
    expect(await first.json()).toEqual({ key: "deploy/window", version: 1 });
    const second = await fixture.call("PUT", key("deploy/window"), token, { value: null });
    expect(await second.json()).toEqual({ key: "deploy/window", version: 2 });
    const read = await fixture.call("GET", key("deploy/window"), token);
    expect(await read.json()).toMatchObject({ key: "deploy/window", value: null, version: 2 });
    const missingValue = await fixture.call("PUT", key("deploy/window"), token, {});
    expect(missingValue.status).toBe(400);
    const deleted = await fixture.call("DELETE", key("deploy/window"), token);
    expect(await deleted.json()).toEqual({ key: "deploy/window", deleted: true });
    expect(await (await fixture.call("DELETE", key("deploy/window"), token)).json()).toEqual({
      key: "deploy/window",
      deleted: false,
    });
  });

  it("refuses values over the size limit", async () => {
    const response = await fixture.call("PUT", key("big"), token, { value: "x".repeat(70 * 1024) });
    expect(response.status).toBe(413);
    expect((await fixture.call("GET", key("big"), token)).status).toBe(404);
  });

  it("compare-and-swap: writes on the expected version, else 409 with the current version", async () => {
    const create = await fixture.call("PUT", `${base}/cas/key/counter`, token, { value: 1, version: 0 });
    expect(await create.json()).toEqual({ key: "counter", version: 1 });
    const again = await fixture.call("PUT", `${base}/cas/key/counter`, token, { value: 1, version: null });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      error: { code: "version_conflict", details: { key: "counter", current_version: 1 } },
    });
    const bump = await fixture.call("PUT", `${base}/cas/key/counter`, token, { value: 2, version: 1 });
    expect(await bump.json()).toEqual({ key: "counter", version: 2 });
    const stale = await fixture.call("PUT", `${base}/cas/key/counter`, token, { value: 3, version: 1 });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: { details: { current_version: 2 } } });
    const absent = await fixture.call("PUT", `${base}/cas/key/nothing`, token, { value: 3, version: 4 });
    expect(await absent.json()).toMatchObject({ error: { details: { current_version: null } } });
    expect(await (await fixture.call("GET", key("counter"), token)).json()).toMatchObject({
      value: 2,
      version: 2,
    });
  });

  it("lets exactly one of many concurrent cas writers win each version", async () => {
    await fixture.call("PUT", `${base}/cas/key/race`, token, { value: 0, version: 0 });
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        fixture.call("PUT", `${base}/cas/key/race`, token, { value: index, version: 1 }),
      ),
    );
    const statuses = attempts.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(9);
  });

  it("commits several operations atomically, and nothing when one cas fails", async () => {
    await fixture.call("PUT", key("env/a"), token, { value: "a1" });
    await fixture.call("PUT", key("env/b"), token, { value: "b1" });
    const failing = await fixture.call("POST", `${base}/commit`, token, {
      ops: [
        { op: "set", key: "env/a", value: "a2" },
        { op: "delete", key: "env/b" },
        { op: "set", key: "env/c", value: "c1" },
        { op: "cas", key: "env/a", value: "a3", version: 7 },
      ],
    });
    expect(failing.status).toBe(409);
    expect(await failing.json()).toMatchObject({
      error: { code: "version_conflict", details: { index: 3, key: "env/a", current_version: 2 } },
    });
    expect(await (await fixture.call("GET", key("env/a"), token)).json()).toMatchObject({
      value: "a1",
      version: 1,
    });
    expect(await (await fixture.call("GET", key("env/b"), token)).json()).toMatchObject({ value: "b1" });
    expect((await fixture.call("GET", key("env/c"), token)).status).toBe(404);

    const passing = await fixture.call("POST", `${base}/commit`, token, {
      ops: [
        { op: "set", key: "env/a", value: "a2" },
        { op: "delete", key: "env/b" },
        { op: "cas", key: "env/c", value: "c1", version: 0 },
        { op: "cas", key: "env/a", value: "a3", version: 2 },
      ],
    });
    expect(passing.status).toBe(200);
    expect(await passing.json()).toEqual({
      results: [
        { key: "env/a", version: 2 },
        { key: "env/b", version: null },
        { key: "env/c", version: 1 },
        { key: "env/a", version: 3 },
      ],
    });
    expect((await fixture.call("GET", key("env/b"), token)).status).toBe(404);
  });

  it("iterates a prefix in pages and counts it, treating % and _ literally", async () => {
    for (let index = 0; index < 12; index++) {
      await fixture.call("PUT", key(`scan/${String(index).padStart(2, "0")}`), token, { value: index });
    }
    await fixture.call("PUT", key("scan_x"), token, { value: "not in scan/" });
    await fixture.call("PUT", key("scan%/y"), token, { value: "not in scan/" });
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor ? `&next_page=${encodeURIComponent(cursor)}` : "";
      const response = await fixture.call(
        "GET",
        `${base}/iter/${encodeURIComponent("scan/")}?limit=5${suffix}`,
        token,
      );
      const page = (await response.json()) as { items: { key: string }[]; next_page: string | null };
      keys.push(...page.items.map((item) => item.key));
      cursor = page.next_page;
    } while (cursor);
    expect(keys).toEqual(Array.from({ length: 12 }, (_, index) => `scan/${String(index).padStart(2, "0")}`));
    const count = await fixture.call("GET", `${base}/count/${encodeURIComponent("scan/")}`, token);
    expect(await count.json()).toEqual({ count: 12 });
    const underscore = await fixture.call("GET", `${base}/count/${encodeURIComponent("scan_")}`, token);
    expect(await underscore.json()).toEqual({ count: 1 });
    const descending = await fixture.call("GET", `${base}/iter/scan%2F?limit=2&d=desc`, token);
    expect(((await descending.json()) as { items: { key: string }[] }).items.map((item) => item.key)).toEqual(
      ["scan/11", "scan/10"],
    );
  });

  it("needs kv_write to write and kv_read to read", async () => {
    const reader = await fixture.token(fixture.a, ["kv_read"]);
    expect((await fixture.call("GET", key("config/owner"), reader)).status).toBe(200);
    expect((await fixture.call("PUT", key("config/owner"), reader, { value: 1 })).status).toBe(403);
    expect(
      (await fixture.call("POST", `${base}/commit`, reader, { ops: [{ op: "delete", key: "x" }] })).status,
    ).toBe(403);
    const writer = await fixture.token(fixture.a, ["kv_write"]);
    expect((await fixture.call("GET", key("config/owner"), writer)).status).toBe(403);
  });
});
