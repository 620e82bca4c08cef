// The committed JSON Schema (schema/config.json, for editors) matches the zod schema it is generated from.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoConfigJsonSchema } from "./repo-config.ts";

describe("schema/config.json", () => {
  it("is current; regenerate with `node src/main.ts config schema > schema/config.json`", () => {
    const committed = JSON.parse(readFileSync(new URL("../../schema/config.json", import.meta.url), "utf8"));
    expect(committed).toEqual(repoConfigJsonSchema());
  });

  it("describes every top-level key and rejects unknown ones", () => {
    const schema = repoConfigJsonSchema() as {
      properties: Record<string, { description?: string }>;
      additionalProperties: boolean;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual([
      "version",
      "ignore",
      "dirs",
      "when_modified",
      "workflows",
      "lock_policy",
      "apply_requirements",
      "access_control",
      "fork_prs",
      "automerge",
      "drift",
      "parallelism",
      "destination_branches",
      "stacks",
    ]);
    for (const [key, property] of Object.entries(schema.properties)) {
      expect(property.description, key).toBeTruthy();
    }
  });
});
