// Version constraints as Terraform writes them (`~> 1.5`, `>= 1.2, < 2.0`, `!= 1.4.0`, `1.6.1`): parse and match.

/** A version: up to three numbers (missing ones are 0) and an optional pre-release (`1.6.0-beta2`). */
export interface Version {
  numbers: [number, number, number];
  /** How many numbers were written: `~> 1.5` allows 1.x, `~> 1.5.0` only 1.5.x. */
  written: 1 | 2 | 3;
  prerelease: string;
}

export type VersionOperator = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~>";

export interface VersionTerm {
  operator: VersionOperator;
  version: Version;
}

/** A parsed constraint: every term must hold. */
export interface VersionConstraint {
  text: string;
  terms: VersionTerm[];
}

export class VersionConstraintError extends Error {
  override name = "VersionConstraintError";
}

const versionPattern = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses `1.11.4`, `1.6`, `v1.6.0-rc1`; undefined for anything else. */
export function parseVersion(text: string): Version | undefined {
  const match = versionPattern.exec(text.trim());
  if (!match) return undefined;
  const written = match[3] !== undefined ? 3 : match[2] !== undefined ? 2 : 1;
  return {
    numbers: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)],
    written,
    prerelease: match[4] ?? "",
  };
}

const termPattern = /^(~>|>=|<=|!=|=|>|<)?\s*(\S+)$/;

/** Parses a constraint; throws a VersionConstraintError naming the term that is wrong and why. */
export function parseVersionConstraint(text: string): VersionConstraint {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.every((part) => part === "")) {
    throw new VersionConstraintError(
      "the version constraint is empty; write e.g. `~> 1.5` or `>= 1.2, < 2.0`",
    );
  }
  const terms = parts.map((part): VersionTerm => {
    const match = termPattern.exec(part);
    const version = match ? parseVersion(match[2]!) : undefined;
    if (!match || !version) {
      throw new VersionConstraintError(
        `${JSON.stringify(part)} is not a version constraint: write an operator (=, !=, >, >=, <, <=, ~>) and a version such as 1.5 or 1.5.7, several separated by commas`,
      );
    }
    return { operator: (match[1] ?? "=") as VersionOperator, version };
  });
  return { text: text.trim(), terms };
}

function compareIdentifiers(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  if (numeric.test(a)) return -1;
  if (numeric.test(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders versions; a pre-release comes before its release (1.6.0-rc1 < 1.6.0). */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const difference = a.numbers[i]! - b.numbers[i]!;
    if (difference !== 0) return Math.sign(difference);
  }
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === "") return 1;
  if (b.prerelease === "") return -1;
  const left = a.prerelease.split(".");
  const right = b.prerelease.split(".");
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] === undefined) return -1;
    if (right[i] === undefined) return 1;
    const difference = compareIdentifiers(left[i]!, right[i]!);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** The first version `~> version` no longer allows: the last written number's parent, plus one. */
function pessimisticUpperBound(version: Version): Version {
  const [major, minor] = version.numbers;
  if (version.written === 3) return { numbers: [major, minor + 1, 0], written: 3, prerelease: "" };
  return { numbers: [major + 1, 0, 0], written: 3, prerelease: "" };
}

function termHolds(term: VersionTerm, version: Version): boolean {
  // A pre-release matches only a term naming a pre-release of the same release, as Terraform does.
  if (version.prerelease !== "") {
    if (term.version.prerelease === "") return false;
    if (term.version.numbers.join(".") !== version.numbers.join(".")) return false;
  }
  const order = compareVersions(version, term.version);
  switch (term.operator) {
    case "=":
      return order === 0;
    case "!=":
      return order !== 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case "~>":
      return order >= 0 && compareVersions(version, pessimisticUpperBound(term.version)) < 0;
    default: {
      const unknown: never = term.operator;
      throw new VersionConstraintError(`unknown operator ${String(unknown)}`);
    }
  }
}

/** Whether the version meets every term of the constraint. */
export function satisfies(version: Version, constraint: VersionConstraint): boolean {
  return constraint.terms.every((term) => termHolds(term, version));
}
