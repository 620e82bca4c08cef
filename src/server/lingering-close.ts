// Lingering close: a connection closed while its client still sends a request body is drained first.
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

/** How long and how much a closing connection keeps reading what its client still sends. */
export interface LingerLimits {
  maxMs: number;
  maxBytes: number;
}

/** A few seconds or 16 MiB, whichever comes first (Apache waits 2 s between reads, nginx 5 s up to 30 s). */
export const defaultLingerLimits: LingerLimits = { maxMs: 5_000, maxBytes: 16 * 1024 * 1024 };

/**
 * Makes `server` close a connection whose request body is still arriving (an early 413, a 401 before
 * the body) the way HTTP servers do: it sends the response and its end (FIN), then reads and discards
 * what the client still sends, until the client closes or `limits` are reached, and only then closes.
 *
 * Node closes such a socket at once; the client's next bytes then meet a closed socket, whose kernel
 * answers with a reset, and a client still sending (or reading only once it has sent) loses the
 * response it was given: `read ECONNRESET` or `write EPIPE` instead of the 413.
 */
export function lingerBeforeClosing(server: Server, limits: LingerLimits = defaultLingerLimits): void {
  const latest = new WeakMap<Socket, IncomingMessage>();
  server.on("request", (request: IncomingMessage) => latest.set(request.socket, request));
  server.on("connection", (socket: Socket) => {
    // Node's HTTP server (and @hono/node-server's body cleanup) close a connection through destroySoon.
    const destroySoon = socket.destroySoon;
    let lingering = false;
    socket.destroySoon = function lingeringClose(this: Socket) {
      if (lingering) return;
      const request = latest.get(socket);
      if (!request || request.complete) {
        destroySoon.call(this);
        return;
      }
      lingering = true;
      linger(socket, request, limits);
    };
  });
}

function linger(socket: Socket, request: IncomingMessage, limits: LingerLimits): void {
  // Half-close: the response is followed by FIN, so the client knows it is whole and stops sending.
  socket.end();
  let discarded = 0;
  const timer = setTimeout(() => socket.destroy(), limits.maxMs);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  // The answer is final: whoever started reading the body (a size limit reads it as it comes) is done
  // with it, and the HTTP parser now drops it rather than hand it on.
  request.removeAllListeners("data");
  request.resume();
  // This listener only counts what arrives; it resumes reading unless the server paused the socket
  // for a client slow to read its answers, in which case it resumes once that answer drained.
  socket.on("data", (chunk: Buffer) => {
    discarded += chunk.byteLength;
    if (discarded > limits.maxBytes) socket.destroy();
  });
}
