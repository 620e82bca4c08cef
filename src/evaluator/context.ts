// What every event handler of the evaluator receives: database, logger, config and a provider factory.
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { DatabaseClient } from "../db/client.ts";
import type { InstallationRef, VcsProvider } from "../vcs/types.ts";
import type { ModuleIndexStore } from "./module-index-loader.ts";

export interface EvaluatorContext {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
  /** The stored delivery being evaluated (webhook_deliveries.id); a run it starts marks it processed. */
  deliveryId: number | null;
  /** Module indexes by commit, kept across this process's evaluations. */
  moduleIndexes: ModuleIndexStore;
  /** A provider for one repository of one installation, built for this event. */
  providerFor(installation: InstallationRef, owner: string, repo: string): Promise<VcsProvider>;
}
