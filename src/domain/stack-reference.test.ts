// The fast layers and module-aware changes agree with the deliberately simple references on random repositories.
import { describe, expect, it } from "vitest";
import { dirspaceKey } from "./dirspace.ts";
import { discoverDirspaces } from "./discover.ts";
import { evaluateRepo } from "./match.ts";
import { indexRepository } from "./module-index/build.ts";
import { naiveAffectedRoots } from "./module-index/reference.ts";
import { RepoConfig } from "./repo-config.ts";
import { buildStackGraph } from "./stack-graph.ts";
import { computeLayers, type DirspaceRunState } from "./stack-layers.ts";
import { naiveLayers } from "./stack-reference.ts";

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe("against the references", () => {
  it("computes the same layers and blockers as relaxation over expanded edges", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const next = random(seed);
      const count = 10 + Math.floor(next() * 30);
      const files = Array.from({ length: count }, (_, i) => `g${i % 3}/d${i}/main.tf`);
      const dirs: Record<
        string,
        { depends_on: string[]; tags: string[]; workspaces?: Record<string, object> }
      > = {};
      for (let i = 0; i < count; i++) {
        // Edges go to lower numbers, and the low stack (first half) comes before the high one: acyclic.
        const targets = Array.from({ length: i === 0 ? 0 : Math.floor(next() * 3) }, () =>
          Math.floor(next() * i),
        );
        const tags = [i < count / 2 ? "low" : "high"];
        dirs[`g${i % 3}/d${i}`] = { depends_on: targets.map((t) => `g${t % 3}/d${t}`), tags };
        if (next() < 0.2) dirs[`g${i % 3}/d${i}`]!.workspaces = { a: {}, b: {} };
      }
      const config = RepoConfig.parse({
        dirs,
        stacks: {
          first: { tag_query: "low and g1 in dir" },
          second: { tag_query: "high", depends_on: ["first"] },
        },
      });
      const { dirspaces } = discoverDirspaces(files, config);
      const changed = dirspaces.filter(() => next() < 0.5);
      const states = new Map<string, DirspaceRunState>(
        changed.map((dirspace) => [
          dirspaceKey(dirspace),
          (["unplanned", "planned", "applied"] as const)[Math.floor(next() * 3)]!,
        ]),
      );
      const built = buildStackGraph({ dirspaces, ordering: config });
      if (!built.ok) throw new Error(`seed ${seed}: ${built.problems[0]?.message}`);
      const fast = computeLayers({ graph: built.graph, changed, states }).layers.map((layer) =>
        layer.dirspaces.map((entry) => `${entry.dirspace.dir}<${entry.blockedBy.length}`).join(","),
      );
      expect(fast, `seed ${seed}`).toEqual(naiveLayers(dirspaces, config, changed, states));
    }
  });

  it("marks the same roots changed as loading each root's module tree alone", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed);
      const contents = new Map<string, string>();
      const moduleCount = 15;
      for (let m = 0; m < moduleCount; m++) {
        const uses =
          m === 0 ? [] : Array.from({ length: Math.floor(next() * 3) }, () => Math.floor(next() * m));
        contents.set(
          `lib/m${m}/main.tf`,
          uses.map((u) => `module "u${u}" {\n  source = "../m${u}"\n}\n`).join(""),
        );
      }
      for (let r = 0; r < 25; r++) {
        const uses = Array.from({ length: Math.floor(next() * 3) }, () => Math.floor(next() * moduleCount));
        contents.set(
          `roots/r${r}/main.tf`,
          uses.map((u) => `module "u${u}" {\n  source = "../../lib/m${u}"\n}\n`).join(""),
        );
      }
      const files = [...contents.keys()];
      const changedFiles = files.filter(() => next() < 0.1);
      const index = indexRepository(files, contents);
      const evaluation = evaluateRepo({
        files,
        config: RepoConfig.parse({ ignore: [] }),
        changedFiles,
        moduleIndex: index,
      });
      const fast = evaluation.dirspaces
        .filter((dirspace) => dirspace.changed)
        .map((dirspace) => dirspace.dir);
      expect(fast, `seed ${seed}`).toEqual(naiveAffectedRoots(files, contents, changedFiles));
    }
  });
});
