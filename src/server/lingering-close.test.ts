// A connection closed while its client still sends a body is drained (bounded) before it closes.
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendThenRead as sendRaw, write } from "../../test/harness/raw-http.ts";
import { type LingerLimits, lingerBeforeClosing } from "./lingering-close.ts";
import { createHttpServer } from "./runtime.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const refusal = '{"error":"a request is at most 1024 bytes"}';

/** Answers every request 413 with `connection: close`, without reading its body. */
function refusingServer(limits?: LingerLimits): Server {
  const server = createServer((_request, response) => {
    response.writeHead(413, { "content-type": "application/json", connection: "close" });
    response.end(refusal);
  });
  lingerBeforeClosing(server, limits);
  return server;
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A client that sends a request head and `bodyBytes` of body before it reads; resolves to what it read. */
function sendThenRead(port: number, bodyBytes: number, declared = bodyBytes): Promise<string> {
  return sendRaw({
    host: "127.0.0.1",
    port,
    head: `POST /x HTTP/1.1\r\nhost: test\r\ncontent-length: ${declared}`,
    bodyBytes,
  });
}

describe("lingering close", () => {
  it("lets a client that sends its whole body before reading read the 413 it was given early", async () => {
    const port = await listen(
      createHttpServer(() => new Response(refusal, { status: 413, headers: { connection: "close" } })),
    );
    // Node alone closes at once: the body's next bytes meet a closed socket and the client gets EPIPE.
    const read = await sendThenRead(port, 4 * 1024 * 1024);
    expect(read).toMatch(/^HTTP\/1\.1 413 /);
    expect(read).toMatch(/\r\nconnection: close\r\n/i);
    expect(read).toContain(refusal);
  });

  it("cuts off a client that keeps sending past the byte limit", async () => {
    const port = await listen(refusingServer({ maxMs: 60_000, maxBytes: 256 * 1024 }));
    await expect(sendThenRead(port, 16 * 1024 * 1024)).rejects.toMatchObject({
      code: expect.stringMatching(/^(EPIPE|ECONNRESET)$/),
    });
  });

  it("closes a connection whose client stops sending without closing after the time limit", async () => {
    const server = refusingServer({ maxMs: 100, maxBytes: 16 * 1024 * 1024 });
    const closed = new Promise<void>((resolve) =>
      server.on("connection", (socket) => socket.on("close", resolve)),
    );
    const port = await listen(server);
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    await write(socket, "POST /x HTTP/1.1\r\nhost: test\r\ncontent-length: 1048576\r\n\r\n{");
    // The client neither sends the rest nor closes: the server's end of it closes all the same.
    await closed;
    socket.destroy();
  });

  it("closes at once when the request was read whole", async () => {
    // A limit the test would time out on: the server must not wait for the client here.
    const server = refusingServer({ maxMs: 600_000, maxBytes: 16 * 1024 * 1024 });
    const closed = new Promise<void>((resolve) =>
      server.on("connection", (socket) => socket.on("close", resolve)),
    );
    const port = await listen(server);
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.resume();
    await new Promise((resolve) => socket.once("connect", resolve));
    await write(socket, "POST /x HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n{}");
    await closed;
    socket.destroy();
  });
});
