// The results protocol shortens step names instead of refusing an upload for them.
import { describe, expect, it } from "vitest";
import { maxStepNameChars, ResultsBody, shortStepName } from "./protocol.ts";

describe("step names", () => {
  it("keeps short names and cuts long ones to the limit with an ellipsis", () => {
    expect(shortStepName("plan")).toBe("plan");
    const long = `run: ${"a".repeat(400)}`;
    expect(shortStepName(long)).toHaveLength(maxStepNameChars);
    expect(shortStepName(long).endsWith("…")).toBe(true);
    expect(shortStepName("x".repeat(maxStepNameChars))).toBe("x".repeat(maxStepNameChars));
  });

  it("accepts results from a runner that did not shorten its step names", () => {
    const parsed = ResultsBody.parse({
      dirspaces: [
        {
          dir: "a",
          workspace: "default",
          success: true,
          steps: [{ name: `run: ${"b".repeat(300)}`, success: true, exit_code: 0, output: "" }],
        },
      ],
    });
    expect(parsed.dirspaces[0]!.steps[0]!.name).toHaveLength(maxStepNameChars);
  });
});
