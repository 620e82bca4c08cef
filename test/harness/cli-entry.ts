// The `terragate` command as users start it, for tests that run it in a child process.
import { resolve } from "node:path";

/**
 * bin/terragate.js, not src/main.ts: the bin turns Node's compile cache on before its first TypeScript
 * file, so a warm start reads everything already stripped. Started directly, src/main.ts makes Node
 * load its TypeScript stripper first, about 0.2 s of CPU on every one of the suite's ~120 starts.
 */
export const terragateBin = resolve(import.meta.dirname, "../../bin/terragate.js");
