// The README's repo-config key table and environment table match the schemas they document, both ways.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { EnvSchema } from "../../src/config/env.ts";
import { RepoConfig } from "../../src/domain/repo-config.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The first-column names (backticked) of the table whose header row is `header`. */
function tableKeys(header: string): string[] {
  const start = readme.indexOf(`${header}\n`);
  if (start === -1) throw new Error(`README has no table with the header ${header}`);
  const keys: string[] = [];
  for (const line of readme.slice(start).split("\n").slice(2)) {
    if (!line.startsWith("|")) break;
    const cell = line.split("|")[1]!.trim();
    for (const match of cell.matchAll(/`([^`]+)`/g)) keys.push(match[1]!);
  }
  return keys;
}

type Schema = z.core.$ZodType;

/** Unwraps defaults, optionals and pipes down to the schema that has the shape. */
function unwrap(schema: Schema): Schema {
  const def = schema._zod.def as { type: string; innerType?: Schema; in?: Schema };
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === "pipe" && def.in) return unwrap(def.in);
  return schema;
}

/** The child schema for one path step: an object's key, `<key>` for a record's values, `[]` for an array's items. */
function child(schema: Schema, step: string): Schema | undefined {
  const inner = unwrap(schema);
  const def = inner._zod.def as {
    type: string;
    shape?: Record<string, Schema>;
    valueType?: Schema;
    element?: Schema;
  };
  if (def.type === "object") return def.shape?.[step];
  if (def.type === "record" && step === "<key>") return def.valueType;
  if (def.type === "array" && step === "[]") return def.element;
  return undefined;
}

function keysOf(schema: Schema): string[] {
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, Schema> };
  if (def.type === "record") return ["<key>"];
  if (def.type === "array") return ["[]"];
  return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

/** `a.b[].c` → `a.b.[].c`: one step per dot. */
function canonical(path: string): string {
  return path.replaceAll("[]", ".[]");
}

describe("README repo config table", () => {
  const documented = tableKeys("| key | default | meaning |").map(canonical);

  it("documents only keys the config schema has", () => {
    const unknown = documented.filter((path) => {
      let schema: Schema | undefined = RepoConfig;
      for (const step of path.split(".")) schema = schema && child(schema, step);
      return schema === undefined;
    });
    expect(unknown).toEqual([]);
  });

  it("documents every key of the schema: each top-level key, and every sibling of a documented nested key", () => {
    const covered = (path: string) =>
      documented.some((key) => key === path || key.startsWith(`${path}.`) || path.startsWith(`${key}.`));
    const missing: string[] = keysOf(RepoConfig).filter((key) => !covered(key));
    for (const path of documented) {
      const steps = path.split(".");
      let parent: Schema = RepoConfig;
      for (let depth = 0; depth < steps.length - 1; depth++) {
        parent = child(parent, steps[depth]!)!;
        const prefix = steps.slice(0, depth + 1).join(".");
        for (const key of keysOf(parent)) {
          const sibling = `${prefix}.${key}`;
          if (!covered(sibling) && !missing.includes(sibling)) missing.push(sibling);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("README environment table", () => {
  const documented = tableKeys("| variable | default | meaning |");

  it("lists each variable once", () => {
    expect(documented.filter((name, index) => documented.indexOf(name) !== index)).toEqual([]);
  });

  it("lists exactly the variables the server reads", () => {
    const read = Object.keys(EnvSchema.shape).sort();
    const names = documented.map((name) => name.split(" ")[0]!).sort();
    expect(names).toEqual(read);
  });
});
