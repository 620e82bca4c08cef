// `terragate api-key create|list|revoke`: manage tooling API keys against the server's database.
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { parseCapabilities } from "../api/auth/capabilities.ts";
import { type Config, ConfigError, loadConfig } from "../config/env.ts";
import { createDatabase, type DatabaseClient } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../db/queries/api-keys.ts";
import {
  findInstallation,
  InstallationRefError,
  parseInstallationRef,
} from "../db/queries/installation-ref.ts";
import { createLogger } from "../logging/logger.ts";
import { openCliDatabase } from "./open-cli-database.ts";

export const usage = `Usage:
  terragate api-key create --installation REF --capability CAP [--capability CAP …] [--name NAME]
  terragate api-key list [--installation REF]
  terragate api-key revoke ID

REF names an installation: github:<installation id> or gitlab:<group or project id> (the VCS's own
ids, as in the API's URLs), internal:<Terragate's id>, or a bare number, which means the VCS's id
when exactly one VCS has it (otherwise the error lists the forms that match).
CAP is one of installation_read, kv_read, kv_write, access_token_create, audit_read, or
unlock:OWNER/REPO to release locks in that repository (repeat for more) or unlock:* for every
repository of the installation (repeat --capability or separate with commas).

create prints the key (tgk_…) once on stdout: store it now, it cannot be shown again.
list prints one key per line: id, name, capabilities, last use (and revocation time).
revoke stops the key at once (its next refresh is refused), and with it every key it created
through the API, and the keys those created.

The database is DATABASE_URL when set, else the embedded PostgreSQL of the \`terragate serve\`
running on the same TERRAGATE_DATA_DIR (started for the command when none runs).`;

export interface ApiKeyCommandIo {
  config: Config;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class UsageError extends Error {
  override name = "UsageError";
}

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

async function create(database: DatabaseClient, args: string[], io: ApiKeyCommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      installation: { type: "string" },
      capability: { type: "string", multiple: true },
      name: { type: "string", default: "" },
    },
    strict: true,
  });
  if (!values.installation)
    throw new UsageError("--installation is required (e.g. --installation github:12345)");
  const names = (values.capability ?? []).flatMap((value) => value.split(",")).map((name) => name.trim());
  if (names.filter(Boolean).length === 0) throw new UsageError("at least one --capability is required");
  let capabilities: ReturnType<typeof parseCapabilities>;
  try {
    capabilities = parseCapabilities(names.filter(Boolean));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const installation = await findInstallation(database.db, parseInstallationRef(values.installation));
  const created = await database.db.transaction((tx) =>
    createApiKey(tx, {
      installationId: installation.id,
      name: values.name,
      capabilities,
      createdBy: actor(),
    }),
  );
  io.stdout(`${created.key}\n`);
  io.stderr(
    `Created API key ${created.record.id} for ${installation.vcs}:${installation.externalId} (${installation.accountLogin}) ` +
      `with ${capabilities.join(", ")}. It is shown only this once.\n`,
  );
  return 0;
}

async function list(database: DatabaseClient, args: string[], io: ApiKeyCommandIo): Promise<number> {
  const { values } = parseArgs({ args, options: { installation: { type: "string" } }, strict: true });
  const installation = values.installation
    ? await findInstallation(database.db, parseInstallationRef(values.installation))
    : undefined;
  const keys = await listApiKeys(database.db, installation?.id);
  for (const key of keys) {
    const fields = [
      key.id,
      key.name === "" ? "-" : key.name,
      key.capabilities.join(","),
      key.lastUsedAt ? `last used ${key.lastUsedAt.toISOString()}` : "never used",
    ];
    if (key.revokedAt) fields.push(`revoked ${key.revokedAt.toISOString()}`);
    io.stdout(`${fields.join("\t")}\n`);
  }
  if (keys.length === 0) io.stderr("No API keys. Create one with `terragate api-key create`.\n");
  return 0;
}

async function revoke(database: DatabaseClient, args: string[], io: ApiKeyCommandIo): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  const [id, ...rest] = positionals;
  if (!id || rest.length > 0)
    throw new UsageError("revoke takes exactly one key id (see `terragate api-key list`)");
  if (!/^[0-9a-f-]{36}$/i.test(id))
    throw new UsageError(`"${id}" is not a key id; ids are UUIDs as printed by list`);
  const revoked = await database.db.transaction((tx) => revokeApiKey(tx, { id, actor: actor() }));
  if (!revoked) {
    io.stderr(`terragate api-key: no unrevoked key ${id}; \`terragate api-key list\` shows the keys.\n`);
    return 1;
  }
  const { key, descendants } = revoked;
  io.stdout(`Revoked API key ${key.id}${key.name ? ` (${key.name})` : ""}.\n`);
  for (const descendant of descendants) {
    io.stdout(
      `Revoked API key ${descendant.id}${descendant.name ? ` (${descendant.name})` : ""}, created by ${descendant.parentKeyId}.\n`,
    );
  }
  return 0;
}

const subcommands = { create, list, revoke } as const;
type Subcommand = keyof typeof subcommands;

/** Runs a subcommand with an explicit configuration and output (the testable core of `main`). */
export async function runApiKeyCommand(args: string[], io: ApiKeyCommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || !(name in subcommands)) {
    (name === undefined || name.startsWith("-") ? io.stdout : io.stderr)(
      `${name && !name.startsWith("-") ? `terragate api-key: unknown subcommand "${name}"\n\n` : ""}${usage}\n`,
    );
    return name === "--help" || name === "-h" ? 0 : 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  const location = await openCliDatabase(io.config, createLogger({ LOG_LEVEL: "warn" }));
  const database = createDatabase(location.url, { max: 2, applicationName: "terragate-api-key" });
  try {
    await migrate(location.url);
    return await subcommands[name as Subcommand](database, rest, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof InstallationRefError || isParseArgsError(error)) {
      io.stderr(
        `terragate api-key ${name}: ${(error as Error).message}\n\nRun \`terragate api-key --help\` for usage.\n`,
      );
      return 2;
    }
    throw error;
  } finally {
    await database.close();
    await location.close();
  }
}

function isParseArgsError(error: unknown): boolean {
  return (
    typeof (error as { code?: unknown })?.code === "string" &&
    String((error as { code: string }).code).startsWith("ERR_PARSE_ARGS")
  );
}

export async function main(args: string[]): Promise<number> {
  let config: Config;
  try {
    // The entry point: the one place the environment is handed to the configuration loader.
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`terragate api-key: ${error.message}\n`);
    return 1;
  }
  return runApiKeyCommand(args, {
    config,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
