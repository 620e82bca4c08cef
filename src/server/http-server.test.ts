// The HTTP server keeps idle keep-alive connections longer than the proxies and clients in front of it.
import { Agent, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpServer, keepAliveTimeoutMs } from "./runtime.ts";

const servers: Array<ReturnType<typeof createHttpServer>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** One GET over `agent`; resolves to its Keep-Alive header and the local port of the connection used. */
function get(port: number, agent: Agent): Promise<{ keepAlive: string | undefined; localPort: number }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
      response.resume();
      const header = response.headers["keep-alive"];
      // Read while the response holds its socket: after "end" the agent may hand it back and detach it.
      const localPort = (response.socket.address() as AddressInfo).port;
      response.once("end", () =>
        resolve({
          keepAlive: Array.isArray(header) ? header.join(", ") : header,
          localPort,
        }),
      );
    });
    request.once("error", reject);
    request.end();
  });
}

describe("HTTP server", () => {
  it("announces and keeps a keep-alive timeout above a load balancer's 60 s", async () => {
    const server = createHttpServer(() => new Response("ok"));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(port, agent);
      expect(keepAliveTimeoutMs).toBeGreaterThan(60_000);
      expect(first.keepAlive).toBe(`timeout=${keepAliveTimeoutMs / 1000}`);
      // Clients (undici, Node's agent) keep an idle connection for what the server announced.
      const second = await get(port, agent);
      expect(second.localPort).toBe(first.localPort);
    } finally {
      agent.destroy();
    }
  });
});
