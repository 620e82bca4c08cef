// The runner's settings: the pinned server URL against the dispatch's, secret names from every source, retry time.
import { describe, expect, test } from "vitest";
import { ServerUrlRefusedError } from "../runner/server-url.ts";
import { ConfigError, loadRunnerConfig } from "./env.ts";

const base = { TERRAGATE_WORK_MANIFEST_ID: "m-1", TERRAGATE_WORK_TOKEN: "tgw_x" };

describe("loadRunnerConfig", () => {
  test("the action's api-url input is pinned; a dispatched api-base-url naming another server is refused", () => {
    const pinned = { ...base, "INPUT_API-URL": "https://terragate.acme.dev" };
    expect(loadRunnerConfig(pinned).apiUrl).toBe("https://terragate.acme.dev");
    expect(() =>
      loadRunnerConfig(
        pinned,
        {},
        { value: "https://evil.example.com", source: "the workflow_dispatch input api-base-url" },
      ),
    ).toThrow(ServerUrlRefusedError);
    expect(() => loadRunnerConfig({ ...pinned, "INPUT_API-BASE-URL": "https://evil.example.com" })).toThrow(
      /the action's api-base-url input names the server https:\/\/evil\.example\.com/,
    );
  });

  test("--api-url wins over TERRAGATE_API_URL, and both must name the same server", () => {
    const env = { ...base, TERRAGATE_API_URL: "https://terragate.acme.dev/" };
    expect(loadRunnerConfig(env, { apiUrl: "https://terragate.acme.dev" }).apiUrl).toBe(
      "https://terragate.acme.dev",
    );
    expect(() => loadRunnerConfig(env, { apiUrl: "https://other.acme.dev" })).toThrow(ServerUrlRefusedError);
  });

  test("an unpinned URL from the dispatch still works, with a warning; none at all is a config error", () => {
    const legacy = loadRunnerConfig({ ...base, "INPUT_API-BASE-URL": "https://terragate.acme.dev" });
    expect(legacy.apiUrl).toBe("https://terragate.acme.dev");
    expect(legacy.warnings[0]).toContain("Pin it in .github/workflows/terragate.yml");
    expect(() => loadRunnerConfig(base)).toThrow(ConfigError);
    expect(() => loadRunnerConfig({ ...base, TERRAGATE_API_URL: "ftp://x" })).toThrow(/not an http\(s\) URL/);
  });

  test("secret names come from --secret-env, the action's secret-env input and TERRAGATE_SECRET_ENV", () => {
    const config = loadRunnerConfig(
      {
        ...base,
        TERRAGATE_API_URL: "https://t.example.com",
        "INPUT_SECRET-ENV": "A_VALUE,\nB_VALUE",
        TERRAGATE_SECRET_ENV: "C_VALUE D_VALUE",
      },
      { secretEnv: ["E_VALUE,F_VALUE", "G_VALUE"] },
    );
    expect(config.secretEnv.sort()).toEqual([
      "A_VALUE",
      "B_VALUE",
      "C_VALUE",
      "D_VALUE",
      "E_VALUE",
      "F_VALUE",
      "G_VALUE",
    ]);
  });

  test("uploads are retried for ten minutes unless TERRAGATE_RETRY_MINUTES says otherwise", () => {
    const env = { ...base, TERRAGATE_API_URL: "https://t.example.com" };
    expect(loadRunnerConfig(env).retry.budgetMs).toBe(600_000);
    expect(loadRunnerConfig({ ...env, TERRAGATE_RETRY_MINUTES: "2" }).retry.budgetMs).toBe(120_000);
    expect(() => loadRunnerConfig({ ...env, TERRAGATE_RETRY_MINUTES: "soon" })).toThrow(ConfigError);
  });
});
