// The server a run talks to: the pinned URL, and a dispatch naming another server refused.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decideServerUrl, readDispatchedApiUrl } from "./server-url.ts";

const pinned = { value: "https://terragate.acme.dev", source: "the action's api-url input" };
const dispatched = (value: string) => ({ value, source: "the workflow_dispatch input api-base-url" });

describe("decideServerUrl", () => {
  it("uses the pinned URL and accepts a dispatch naming the same server, however written", () => {
    expect(decideServerUrl([pinned], [dispatched("https://TERRAGATE.acme.dev/")])).toEqual({
      type: "ok",
      apiUrl: "https://terragate.acme.dev",
      warnings: [],
    });
    expect(decideServerUrl([pinned], [])).toMatchObject({ type: "ok", warnings: [] });
  });

  it("refuses a dispatch naming another server, or another path or port of it, naming both sides", () => {
    for (const other of [
      "https://evil.example.com",
      "https://terragate.acme.dev:8443",
      "https://terragate.acme.dev/x",
      "not a url",
    ]) {
      const decision = decideServerUrl([pinned], [dispatched(other)]);
      expect(decision.type).toBe("refused");
      expect(decision.type === "refused" && decision.reason).toContain(
        `the workflow_dispatch input api-base-url names the server ${other}, but the action's api-url input pins https://terragate.acme.dev`,
      );
    }
  });

  it("falls back to the dispatch's URL with a warning when nothing is pinned, unless two dispatched URLs disagree", () => {
    const legacy = decideServerUrl([], [dispatched("https://terragate.acme.dev/")]);
    expect(legacy).toMatchObject({ type: "ok", apiUrl: "https://terragate.acme.dev" });
    expect(legacy.type === "ok" && legacy.warnings[0]).toContain("Pin it in .github/workflows/terragate.yml");
    const input = { value: "https://terragate.acme.dev", source: "the action's api-base-url input" };
    expect(decideServerUrl([], [input, dispatched("https://evil.example.com")]).type).toBe("refused");
    expect(decideServerUrl([], [])).toEqual({ type: "missing" });
  });
});

describe("readDispatchedApiUrl", () => {
  it("reads api-base-url from a workflow_dispatch event file, and nothing from other events", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "terragate-event-")), "event.json");
    await writeFile(file, JSON.stringify({ inputs: { "api-base-url": "https://x.example.com" } }));
    expect(await readDispatchedApiUrl("workflow_dispatch", file)).toEqual(
      dispatched("https://x.example.com"),
    );
    expect(await readDispatchedApiUrl("push", file)).toBeUndefined();
    expect(await readDispatchedApiUrl("workflow_dispatch", `${file}.missing`)).toBeUndefined();
  });
});
