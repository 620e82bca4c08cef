// The runner's HTTP client against a scripted server: what it retries, and what it never resends.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RunnerApiClient } from "./api-client.ts";

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };
let server: Server | undefined;

async function scripted(replies: Reply[]): Promise<{ url: string; calls: string[] }> {
  const calls: string[] = [];
  server = createServer((request, response) => {
    calls.push(`${request.method} ${request.url}`);
    const reply = replies.shift() ?? { status: 500 };
    response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
    response.end(JSON.stringify(reply.body ?? {}));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe("RunnerApiClient.initiate", () => {
  it("asks again after a 503 with Retry-After (the dispatch is being recorded), and not after other failures", async () => {
    const { url, calls } = await scripted([
      { status: 503, headers: { "retry-after": "0" }, body: { error: "still recording the dispatch" } },
      { status: 200, body: { type: "done", reason: "nothing left" } },
    ]);
    const client = new RunnerApiClient(url, "github", "m-1");
    expect(await client.initiate("tgw_x", { run_id: "1", sha: "abc1234" })).toEqual({
      type: "done",
      reason: "nothing left",
    });
    expect(calls).toEqual([
      "POST /api/github/v1/work-manifests/m-1/initiate",
      "POST /api/github/v1/work-manifests/m-1/initiate",
    ]);
  });

  it("never resends a work token after a 502 without Retry-After: the server may have used it", async () => {
    const { url, calls } = await scripted([{ status: 502 }, { status: 200, body: { type: "done" } }]);
    const client = new RunnerApiClient(url, "github", "m-1");
    await expect(client.initiate("tgw_x", { run_id: "1", sha: "abc1234" })).rejects.toThrow(/502/);
    expect(calls).toHaveLength(1);
  });
});
