import { describe, expect, it } from "vitest";
import { createRedactor, looksSecret } from "./redact.ts";

describe("redaction", () => {
  it("hides values of secret-looking variables and of listed ones, but not ordinary ones", () => {
    const redactor = createRedactor(
      {
        AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG",
        GITHUB_TOKEN: "ghs_abcdefgh",
        DB_CONN: "postgres://u:pw@db/x",
        HOME: "/home/runner",
      },
      ["DB_CONN"],
    );
    const line = "key=wJalrXUtnFEMI/K7MDENG tok=ghs_abcdefgh url=postgres://u:pw@db/x home=/home/runner";
    expect(redactor.redact(line)).toBe("key=*** tok=*** url=*** home=/home/runner");
  });

  it("hides each line of a multi-line secret and prefers the longest match", () => {
    const redactor = createRedactor(
      { PRIVATE_KEY: "-----BEGIN KEY-----\nMIIEabc123\n-----END KEY-----" },
      [],
      ["abcd", "abcdefgh"],
    );
    expect(redactor.redact("MIIEabc123")).toBe("***");
    expect(redactor.redact("x abcdefgh y")).toBe("x *** y");
  });

  it("ignores values too short to be secrets", () => {
    const redactor = createRedactor({ API_KEY: "ab" });
    expect(redactor.size).toBe(0);
    expect(redactor.redact("about abc")).toBe("about abc");
  });

  it("recognizes secret-looking names", () => {
    expect(
      ["ARM_CLIENT_SECRET", "TF_TOKEN_app_terraform_io", "DB_PASSWORD", "SSH_PRIVATE_KEY", "API_KEY"].every(
        looksSecret,
      ),
    ).toBe(true);
    expect(["PATH", "HOME", "TF_IN_AUTOMATION", "KEYBOARD", "PWD", "OLDPWD"].some(looksSecret)).toBe(false);
  });

  it("hides values of PASS, PWD, DSN, DATABASE_URL and CONNECTION names, but keeps the working directory", () => {
    const env = {
      MYSQL_PASS: "hunter2-pass",
      PGPWD: "s3cr3t-pwd",
      SENTRY_DSN: "https://abc@sentry.example.com/1",
      ANALYTICS_DATABASE_URL: "postgres://app:pw@db.internal/analytics",
      AZURE_STORAGE_CONNECTION_STRING: "DefaultEndpointsProtocol=https;AccountKey=xyz",
      PWD: "/home/runner/work/infra",
    };
    const redactor = createRedactor(env);
    const line = Object.values(env).join(" ");
    expect(redactor.redact(line)).toBe("*** *** *** *** *** /home/runner/work/infra");
  });
});
