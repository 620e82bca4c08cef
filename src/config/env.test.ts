// The environment loader: defaults, derived URLs, and one message naming every bad variable and what it expects.
import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "./env.ts";

function problems(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadConfig", () => {
  test("an empty environment is a valid embedded-database setup with documented defaults", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TERRAGATE_DATA_DIR).toBe(".terragate");
    expect(config.TERRAGATE_WORKER_CONCURRENCY).toBe(4);
    expect(config.LOG_LEVEL).toBe("info");
    expect(config.GITLAB_URL).toBe("https://gitlab.com");
    expect(config.githubApiUrl).toBe("https://api.github.com");
    expect(config.publicUrl).toBe("http://localhost:3000");
  });

  test("blank values count as unset", () => {
    const config = loadConfig({ DATABASE_URL: "  ", APP_ID: "", TERRAGATE_ENCRYPTION_KEY: "" });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.APP_ID).toBeUndefined();
  });

  test("GitHub Enterprise Server host and protocol give the API URL; the public URL loses trailing slashes", () => {
    const config = loadConfig({
      GHE_HOST: "github.example.com",
      GHE_PROTOCOL: "http",
      TERRAGATE_URL: "https://terragate.example.com//",
      PORT: "8080",
    });
    expect(config.githubApiUrl).toBe("http://github.example.com/api/v3");
    expect(config.publicUrl).toBe("https://terragate.example.com");
    expect(config.PORT).toBe(8080);
  });

  test("the Actions OIDC issuer follows GHE_HOST unless GITHUB_OIDC_ISSUER names one", () => {
    expect(loadConfig({}).githubOidcIssuer).toBe("https://token.actions.githubusercontent.com");
    expect(loadConfig({ GHE_HOST: "github.example.com" }).githubOidcIssuer).toBe(
      "https://github.example.com/_services/token",
    );
    expect(
      loadConfig({ GHE_HOST: "github.example.com", GITHUB_OIDC_ISSUER: "https://issuer.example.com/" })
        .githubOidcIssuer,
    ).toBe("https://issuer.example.com");
  });

  test("every bad variable is listed at once, each with what it expects", () => {
    const error = (() => {
      try {
        loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://db", LOG_LEVEL: "loud", GHE_PROTOCOL: "ftp" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^Invalid configuration:/);
    expect(message).toContain('PORT ("eighty"): expected a port number');
    expect(message).toContain(
      'LOG_LEVEL ("loud"): expected one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(message).toContain('GHE_PROTOCOL ("ftp"): expected https or http');
    expect(message).toMatch(/DATABASE_URL \(set\): expected a postgres:\/\/ connection URL/);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  test("secrets are never echoed back in the message", () => {
    const found = problems({
      DATABASE_URL: "mysql://admin:hunter2@db",
      TERRAGATE_ENCRYPTION_KEY: "c2hvcnQ=",
    });
    expect(found.join("\n")).not.toMatch(/hunter2|c2hvcnQ=/);
    expect(found).toContainEqual(
      expect.stringMatching(/^TERRAGATE_ENCRYPTION_KEY \(set\): expected 32 bytes/),
    );
  });

  test("a port out of range is refused with the accepted range", () => {
    expect(problems({ PORT: "70000" })).toEqual(['PORT ("70000"): expected a port between 1 and 65535']);
  });

  test("a GitHub App id without its webhook secret and private key is refused, naming both", () => {
    const found = problems({ APP_ID: "12345" });
    expect(found).toContainEqual(
      expect.stringMatching(/^WEBHOOK_SECRET \(unset\): required when APP_ID is set/),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/^PRIVATE_KEY \(unset\): required when APP_ID is set/),
    );
    expect(() =>
      loadConfig({ APP_ID: "12345", WEBHOOK_SECRET: "s", PRIVATE_KEY_PATH: "/app.pem" }),
    ).not.toThrow();
  });

  test("a non-numeric App id is refused", () => {
    expect(problems({ APP_ID: "my-app", WEBHOOK_SECRET: "s", PRIVATE_KEY: "k" })).toEqual([
      'APP_ID ("my-app"): expected a numeric GitHub App id',
    ]);
  });

  test("a valid 32-byte base64 encryption key is accepted", () => {
    const key = Buffer.alloc(32, 1).toString("base64");
    expect(loadConfig({ TERRAGATE_ENCRYPTION_KEY: key }).TERRAGATE_ENCRYPTION_KEY).toBe(key);
  });

  test("an OAuth client needs both its id and its secret; the secret is never echoed", () => {
    expect(problems({ GITHUB_CLIENT_ID: "Iv1.x" })).toEqual([
      "GITHUB_CLIENT_SECRET (unset): set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or neither",
    ]);
    expect(problems({ GITLAB_CLIENT_SECRET: "hunter2" })).toEqual([
      "GITLAB_CLIENT_ID (unset): set both GITLAB_CLIENT_ID and GITLAB_CLIENT_SECRET, or neither",
    ]);
    expect(loadConfig({ GITLAB_CLIENT_ID: "a", GITLAB_CLIENT_SECRET: "b" }).GITLAB_CLIENT_ID).toBe("a");
  });

  test("TERRAGATE_ADMINS lists github: and gitlab: people", () => {
    expect(loadConfig({ TERRAGATE_ADMINS: "github:alice, gitlab:bob" }).TERRAGATE_ADMINS).toBe(
      "github:alice, gitlab:bob",
    );
    expect(problems({ TERRAGATE_ADMINS: "alice" })).toEqual([
      'TERRAGATE_ADMINS ("alice"): expected a comma-separated list of github:LOGIN or gitlab:USERNAME',
    ]);
  });
});
