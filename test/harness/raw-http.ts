// A raw-socket HTTP client that sends its whole request body before reading anything, as a simple client does:
// it shows what such a client meets when the server answers early and closes (a 413, or EPIPE without a lingering close).
import { connect, type Socket } from "node:net";

/** Writes to a raw socket and waits until the data is handed to the system. */
export function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

export interface SendThenRead {
  host: string;
  port: number;
  /** The request head without the blank line ending it, e.g. "POST /x HTTP/1.1\r\nhost: test\r\ncontent-length: 10". */
  head: string;
  /** Bytes of body sent, chunk by chunk, each write awaited. */
  bodyBytes: number;
}

/** Sends the head and `bodyBytes` of body, then resolves to everything read until the server closes. */
export function sendThenRead({ host, port, head, bodyBytes }: SendThenRead): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.pause();
    socket.once("error", reject);
    socket.once("connect", async () => {
      try {
        await write(socket, `${head}\r\n\r\n`);
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        for (let sent = 0; sent < bodyBytes; sent += chunk.byteLength) await write(socket, chunk);
      } catch (error) {
        reject(error);
        return;
      }
      let read = "";
      socket.on("data", (data: Buffer) => {
        read += data.toString("utf8");
      });
      socket.once("end", () => {
        socket.end();
        resolve(read);
      });
      socket.resume();
    });
  });
}
