// The module index of a commit, read through the VCS: only Terraform, OpenTofu and Terragrunt files, once per commit.
import { buildModuleIndex, type ModuleIndex } from "../domain/module-index/build.ts";
import { LruMap } from "../domain/module-index/cache.ts";
import { type FileSummary, isIndexedFile, summarizeFile } from "../domain/module-index/summarize.ts";
import type { VcsProvider } from "../vcs/types.ts";

/** Files read at once: a monorepo has thousands of .tf files, and the VCS rate-limits bursts. */
const readConcurrency = 8;

/**
 * Indexes by repository and commit sha. A sha names content that never changes, so an entry never
 * goes stale; the bound keeps a busy server's memory flat (an index is small next to its tree).
 */
export class ModuleIndexStore {
  private readonly indexes: LruMap<Promise<ModuleIndex>>;

  constructor(commits = 64) {
    this.indexes = new LruMap(commits);
  }

  /**
   * The index of `sha` (a commit sha, never a branch name: a branch moves). Concurrent callers of
   * the same commit share one read; a failed read is forgotten so the next evaluation retries it.
   */
  load(provider: VcsProvider, sha: string, files: readonly string[]): Promise<ModuleIndex> {
    const key = `${provider.vcs}:${provider.repoFullName}@${sha}`;
    const cached = this.indexes.get(key);
    if (cached) return cached;
    const loading = readModuleIndex(provider, sha, files);
    this.indexes.set(key, loading);
    // A failed read is forgotten, so the next evaluation of the commit reads again.
    loading.catch(() => {
      if (this.indexes.get(key) === loading) this.indexes.delete(key);
    });
    return loading;
  }
}

/** Reads every indexed file of the tree at `sha` (bounded parallelism) and builds the index. */
export async function readModuleIndex(
  provider: VcsProvider,
  sha: string,
  files: readonly string[],
): Promise<ModuleIndex> {
  const wanted = files.filter(isIndexedFile);
  const summaries = new Map<string, FileSummary>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wanted.length) {
      const path = wanted[next++]!;
      const text = await provider.getFile(path, sha);
      // A file listed in the tree but unreadable (a submodule link, a huge blob) indexes as empty.
      summaries.set(path, summarizeFile(path, text ?? ""));
    }
  };
  await Promise.all(Array.from({ length: Math.min(readConcurrency, wanted.length) }, worker));
  return buildModuleIndex({ files, summaries });
}
