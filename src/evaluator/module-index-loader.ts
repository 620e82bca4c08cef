// The module index of a commit, read through the VCS: only Terraform, OpenTofu and Terragrunt files, each content once.
import { buildModuleIndex, type ModuleIndex } from "../domain/module-index/build.ts";
import { LruMap } from "../domain/module-index/cache.ts";
import { type FileSummary, isIndexedFile, summarizeFile } from "../domain/module-index/summarize.ts";
import type { VcsProvider } from "../vcs/types.ts";

/** Files read at once: a monorepo has thousands of .tf files, and the VCS rate-limits bursts. */
const readConcurrency = 8;

/** A summary depends only on the file's text and its kind (Terragrunt or Terraform, from the name). */
function summaryKey(path: string, blobSha: string): string {
  return `${path.endsWith(".hcl") ? "h" : "t"}:${blobSha}`;
}

interface PendingRead {
  path: string;
  resolve: (summary: FileSummary) => void;
  reject: (error: unknown) => void;
}

export interface ModuleIndexStoreLimits {
  /** Indexes kept, one per commit. */
  commits: number;
  /**
   * Terraform dirs held across the kept indexes: one index of a 5,000-root monorepo (7,000 dirs) holds
   * about 3 MB, so a count of commits alone would let a few large repositories fill the process.
   */
  dirs: number;
  /** File summaries kept, one per distinct content (26,000 of them hold about 15 MB). */
  summaries: number;
}

/** About 40 MB of indexes and 30 MB of summaries at most. */
export const defaultStoreLimits: ModuleIndexStoreLimits = { commits: 64, dirs: 100_000, summaries: 50_000 };

interface HeldIndex {
  index: Promise<ModuleIndex>;
  /** Its dirs once built (0 while it loads). */
  dirs: number;
}

/**
 * Indexes by repository and commit sha, and file summaries by blob sha. A sha names content that
 * never changes, so no entry goes stale: a PR's new head re-reads only the files whose content no
 * earlier commit had (its changed files), not the whole repository. The bounds keep memory flat: the
 * least recently used index goes first, and an index dropped is rebuilt from the summaries, unread.
 */
export class ModuleIndexStore {
  /** In least recently used order (a Map keeps insertion order; a hit moves its entry to the end). */
  private readonly indexes = new Map<string, HeldIndex>();
  private heldDirs = 0;
  private readonly summaries: LruMap<Promise<FileSummary>>;
  private readonly limits: ModuleIndexStoreLimits;

  constructor(limits: Partial<ModuleIndexStoreLimits> = {}) {
    this.limits = { ...defaultStoreLimits, ...limits };
    this.summaries = new LruMap(this.limits.summaries);
  }

  /**
   * The index of `sha` (a commit sha, never a branch name: a branch moves), whose files and blob
   * shas are `blobs`. Concurrent callers share reads; a failed read is forgotten so the next
   * evaluation retries it.
   */
  load(provider: VcsProvider, sha: string, blobs: ReadonlyMap<string, string>): Promise<ModuleIndex> {
    const key = `${provider.vcs}:${provider.repoFullName}@${sha}`;
    const cached = this.indexes.get(key);
    if (cached) {
      this.indexes.delete(key);
      this.indexes.set(key, cached);
      return cached.index;
    }
    const held: HeldIndex = { index: this.read(provider, sha, blobs), dirs: 0 };
    this.indexes.set(key, held);
    this.trim();
    held.index.then(
      (index) => {
        if (this.indexes.get(key) !== held) return;
        held.dirs = index.dirs.size;
        this.heldDirs += held.dirs;
        this.trim();
      },
      () => this.forget(key, held),
    );
    return held.index;
  }

  private forget(key: string, held: HeldIndex): void {
    if (this.indexes.get(key) !== held) return;
    this.indexes.delete(key);
    this.heldDirs -= held.dirs;
  }

  /** Drops the least recently used indexes past the bounds, always keeping the newest. */
  private trim(): void {
    for (const [key, held] of this.indexes) {
      const over = this.indexes.size > this.limits.commits || this.heldDirs > this.limits.dirs;
      if (!over || this.indexes.size <= 1) return;
      this.forget(key, held);
    }
  }

  private async read(
    provider: VcsProvider,
    sha: string,
    blobs: ReadonlyMap<string, string>,
  ): Promise<ModuleIndex> {
    const files = [...blobs.keys()];
    const summaries = new Map<string, Promise<FileSummary>>();
    const reads: PendingRead[] = [];
    for (const [path, blobSha] of blobs) {
      if (!isIndexedFile(path)) continue;
      const key = summaryKey(path, blobSha);
      let summary = this.summaries.get(key);
      if (!summary) {
        const { promise, resolve, reject } = Promise.withResolvers<FileSummary>();
        reads.push({ path, resolve, reject });
        // Handled by whoever awaits it; a failed read is forgotten so a later commit reads it again.
        promise.catch(() => {
          if (this.summaries.get(key) === promise) this.summaries.delete(key);
        });
        this.summaries.set(key, promise);
        summary = promise;
      }
      summaries.set(path, summary);
    }
    await readSummaries(provider, sha, reads);
    const byPath = new Map<string, FileSummary>();
    for (const [path, summary] of summaries) byPath.set(path, await summary);
    return buildModuleIndex({ files, summaries: byPath });
  }
}

/** Reads each file at `sha` (bounded parallelism); every pending read settles, even after a failure. */
async function readSummaries(provider: VcsProvider, sha: string, reads: PendingRead[]): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < reads.length) {
      const read = reads[next++]!;
      if (failure) {
        read.reject(failure.error);
        continue;
      }
      try {
        const text = await provider.getFile(read.path, sha);
        // A file listed in the tree but unreadable (a huge blob) indexes as empty.
        read.resolve(summarizeFile(read.path, text ?? ""));
      } catch (error) {
        failure ??= { error };
        read.reject(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(readConcurrency, reads.length) }, worker));
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
