// The tooling API benchmark's server: a child process serving the real app on a free port, so its memory is measured alone.

import type { AddressInfo } from "node:net";
import { prepareModuleLoading } from "../src/server/module-loading.ts";

/** argv: database URL, base64 encryption key. Prints `listening <port>` once ready; stops on SIGTERM. */
async function main(argv: string[]): Promise<void> {
  const [url, key] = argv;
  if (!url || !key) throw new Error("usage: api-bench-server.ts <database url> <base64 encryption key>");
  // As `terragate serve` does: module loading prepared first (compile cache, drizzle shortcut), then the application.
  prepareModuleLoading();
  const { serve } = await import("@hono/node-server");
  const { pino } = await import("pino");
  const { createApp } = await import("../src/api/app.ts");
  const { loadConfig } = await import("../src/config/env.ts");
  const { createDatabase } = await import("../src/db/client.ts");
  const config = loadConfig({ TERRAGATE_API_RATE_LIMIT: "100000", LOG_LEVEL: "silent" });
  const database = createDatabase(url, { max: 20, applicationName: "terragate-bench-api" });
  const app = createApp({
    config,
    database,
    logger: pino({ level: "silent" }),
    encryptionKey: Buffer.from(key, "base64"),
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  server.once("listening", () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.once("SIGTERM", () => {
    server.close();
    void database.close().then(() => process.exit(0));
  });
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
