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
    expect(["PATH", "HOME", "TF_IN_AUTOMATION", "KEYBOARD"].some(looksSecret)).toBe(false);
  });
});
