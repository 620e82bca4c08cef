// The README's drift example is a valid config, meaning what the README says it means.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { reconcileAllowed } from "../../src/domain/drift.ts";
import { parseRepoConfig } from "../../src/domain/parse-repo-config.ts";
import { policyFor } from "../../src/evaluator/access.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README drift example", () => {
  const section = readme.slice(readme.indexOf("**Drift.**"));
  const example = section.slice(
    section.indexOf("```yaml\n") + 8,
    section.indexOf("\n```", section.indexOf("```yaml\n")),
  );

  it("parses, reconciling staging and only reporting prod", () => {
    const parsed = parseRepoConfig(example);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.drift.schedules["nightly"]).toMatchObject({
      cron: "30 3 * * 1-5",
      window: { start: "01:00", end: "06:00", time_zone: "Europe/Berlin" },
    });
    expect(parsed.config.drift.schedules["staging"]).toMatchObject({ cron: "hourly", reconcile: true });
    expect(reconcileAllowed(policyFor(parsed.config, ["staging"]).policy)).toBe(true);
    expect(reconcileAllowed(policyFor(parsed.config, ["prod"]).policy)).toBe(false);
  });
});
