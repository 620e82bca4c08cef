// Redaction of secret values before any runner output leaves the CI machine.

/** Environment variable names whose values are treated as secret without being listed. */
const SECRET_NAME =
  /(SECRET|TOKEN|PASS|PWD|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY|_KEY$|^KEY$|DSN|DATABASE_URL|CONNECTION)/i;

/** Shell variables that match a pattern above but hold no secret: the working directory would vanish from every path. */
const NOT_SECRET = new Set(["PWD", "OLDPWD"]);

/** Shorter values would blank out ordinary words; a secret this short protects nothing anyway. */
const MIN_SECRET_LENGTH = 4;

export const REDACTED = "***";

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase());
}

export interface Redactor {
  redact(text: string): string;
  /** How many distinct values are being hidden (for the log, never the values themselves). */
  readonly size: number;
}

/** Builds a redactor for explicit values plus the values of secret-looking or listed environment variables. */
export function createRedactor(
  env: Record<string, string | undefined>,
  secretNames: readonly string[] = [],
  extraValues: readonly string[] = [],
): Redactor {
  const listed = new Set(secretNames);
  const values = new Set<string>();
  const add = (value: string) => {
    // Multi-line secrets (PEM keys) are matched line by line, because output is redacted per line.
    for (const part of value.split(/\r?\n/)) {
      const trimmed = part.trim();
      if (trimmed.length >= MIN_SECRET_LENGTH) values.add(trimmed);
    }
  };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (listed.has(name) || looksSecret(name))) add(value);
  }
  for (const value of extraValues) add(value);
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return {
    size: ordered.length,
    redact(text: string): string {
      let result = text;
      for (const value of ordered) {
        if (result.includes(value)) result = result.split(value).join(REDACTED);
      }
      return result;
    },
  };
}
