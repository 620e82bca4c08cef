// Node's on-disk compile cache for Terragate's processes: type-stripped, compiled modules reused across starts.
import { enableCompileCache } from "node:module";

/**
 * Without the cache every start strips the types of every .ts file again, which loads Node's
 * TypeScript stripper (a WebAssembly build of swc, about 20 MB resident for the life of the process)
 * and compiles everything anew. The cache lives where NODE_COMPILE_CACHE says, else in Node's default
 * (the OS temp dir); NODE_DISABLE_COMPILE_CACHE=1 turns it off. It is checked against each file's
 * contents, so an edited source is never served stale. Only modules loaded after the call benefit:
 * entry points call it before importing the application. A cache that cannot be written is skipped.
 */
export function useCompileCache(): void {
  enableCompileCache();
}
