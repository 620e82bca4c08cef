// Caches for the module index: whole indexes by commit, and file summaries by content (e.g. blob sha).
import { buildModuleIndex, type ModuleIndex } from "./build.ts";
import { type FileSummary, isIndexedFile, summarizeFile } from "./summarize.ts";

/** A map that forgets the least recently used entry past `limit`. */
export class LruMap<V> {
  private readonly entries = new Map<string, V>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface ModuleIndexCacheOptions {
  /** Indexes kept (one per commit). */
  commits: number;
  /** File summaries kept (one per distinct content). */
  summaries: number;
}

/**
 * The caller names each commit (`commitKey`, e.g. the head sha) and each file's content (`contentKey`,
 * e.g. its blob sha). A commit seen before costs a lookup; a new commit re-reads only contents not seen.
 */
export interface ModuleIndexCache {
  get(commitKey: string): ModuleIndex | undefined;
  /** The files of the tree whose contents must be read to index it (the rest are cached). */
  missing(files: readonly string[], contentKey: (path: string) => string): string[];
  /** Builds (and remembers) the index of a commit; `read` is asked only for the paths `missing` returned. */
  build(
    commitKey: string,
    files: readonly string[],
    contentKey: (path: string) => string,
    read: (path: string) => string,
  ): ModuleIndex;
}

export function createModuleIndexCache(
  options: ModuleIndexCacheOptions = { commits: 32, summaries: 100_000 },
): ModuleIndexCache {
  const indexes = new LruMap<ModuleIndex>(options.commits);
  const summaries = new LruMap<FileSummary>(options.summaries);
  // The content key alone could collide between a .tf and a .hcl with the same bytes: the kind differs.
  const summaryKey = (path: string, contentKey: string) =>
    `${path.endsWith(".hcl") ? "h" : "t"}:${contentKey}`;
  return {
    get: (commitKey) => indexes.get(commitKey),
    missing: (files, contentKey) =>
      files.filter(
        (path) => isIndexedFile(path) && summaries.get(summaryKey(path, contentKey(path))) === undefined,
      ),
    build(commitKey, files, contentKey, read) {
      const byPath = new Map<string, FileSummary>();
      for (const path of files) {
        if (!isIndexedFile(path)) continue;
        const key = summaryKey(path, contentKey(path));
        let summary = summaries.get(key);
        if (!summary) {
          summary = summarizeFile(path, read(path));
          summaries.set(key, summary);
        }
        byPath.set(path, summary);
      }
      const index = buildModuleIndex({ files, summaries: byPath });
      indexes.set(commitKey, index);
      return index;
    },
  };
}
