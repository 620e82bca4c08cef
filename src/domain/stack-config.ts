// Checks of `stacks` that need the whole config: depends_on names that exist, and no cycle among stacks.
import type { RepoConfig } from "./repo-config.ts";
import { didYouMean } from "./suggest.ts";

/** A problem in `stacks`; `at` is the key path of the value it is about, `key` the path shown to people. */
export interface StackConfigProblem {
  at: (string | number)[];
  key: (string | number)[];
  message: string;
}

/** A cycle written as people read it: `network → apps → network` (each depends on the next). */
export function formatCycle(names: readonly string[]): string {
  return `cycle ${names.join(" → ")}`;
}

/** Unknown stack names in depends_on, and each cycle among stacks (once, at the entry that closes it). */
export function checkStacks(config: Pick<RepoConfig, "stacks">): StackConfigProblem[] {
  const problems: StackConfigProblem[] = [];
  const names = Object.keys(config.stacks);
  for (const [name, stack] of Object.entries(config.stacks)) {
    stack.depends_on.forEach((dependency, index) => {
      if (config.stacks[dependency]) return;
      const suggestion = didYouMean(dependency, names);
      const at = ["stacks", name, "depends_on", index];
      problems.push({
        at,
        key: at,
        message: `unknown stack ${JSON.stringify(dependency)}; ${suggestion ? `did you mean ${suggestion}?` : `stacks are ${names.join(", ")}`}`,
      });
    });
  }
  // Depth-first, without recursion: a hostile config could chain thousands of stacks.
  const state = new Map<string, "visiting" | "done">();
  for (const root of names) {
    if (state.has(root)) continue;
    const path: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, "visiting");
    while (path.length > 0) {
      const frame = path[path.length - 1]!;
      const dependencies = config.stacks[frame.name]!.depends_on;
      if (frame.next >= dependencies.length) {
        state.set(frame.name, "done");
        path.pop();
        continue;
      }
      const index = frame.next++;
      const dependency = dependencies[index]!;
      if (!config.stacks[dependency]) continue;
      const seen = state.get(dependency);
      if (seen === "visiting") {
        const start = path.findIndex((entry) => entry.name === dependency);
        const cycle = [...path.slice(start).map((entry) => entry.name), dependency];
        problems.push({
          at: ["stacks", frame.name, "depends_on", index],
          key: ["stacks"],
          message: formatCycle(cycle),
        });
      } else if (seen === undefined) {
        state.set(dependency, "visiting");
        path.push({ name: dependency, next: 0 });
      }
    }
  }
  return problems;
}
