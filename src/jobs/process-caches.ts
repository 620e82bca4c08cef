// What the tasks of one worker process share: the module-index store, built on first use so an idle worker holds none of it.
import { ModuleIndexStore } from "../evaluator/module-index-loader.ts";
import type { JobDeps } from "./task-list.ts";

/**
 * Filled lazily by the tasks that need it. createTaskList gives every task of a process the same
 * object, so a commit indexed while evaluating a push is not read again by the next-layer plan or
 * the default-branch refresh, and the store's bounds hold for the whole process rather than per task.
 */
export interface ProcessCaches {
  moduleIndexes?: ModuleIndexStore;
}

/** The process's module-index store (a task run on its own, without a task list, gets one of its own). */
export function moduleIndexesOf(deps: Pick<JobDeps, "caches">): ModuleIndexStore {
  if (!deps.caches) return new ModuleIndexStore();
  deps.caches.moduleIndexes ??= new ModuleIndexStore();
  return deps.caches.moduleIndexes;
}
