// Types of the plain-JavaScript Node.js version check (bin/preflight.js).
export declare const requiredNode: { line22: [number, number]; line23: [number, number] };
export declare function nodeProblem(
  versions: { node?: string } | undefined,
  features: { typescript?: string | false } | undefined,
  execPath?: string,
): string | undefined;
