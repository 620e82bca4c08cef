// Node.js version check in plain JavaScript, run before any TypeScript loads (old Nodes cannot even parse the imports).

/** The oldest Node.js releases that run TypeScript sources without flags (type stripping on by default). */
export const requiredNode = { line22: [22, 18], line23: [23, 6] };

const howToGet =
  "install Node.js 24 LTS from https://nodejs.org/en/download (or `nvm install 24`, `fnm install 24`, `volta install node@24`)";

/**
 * One line saying what is needed, what is installed and how to get it; undefined when this Node.js
 * can run Terragate. Written for Node.js 12 and later: no syntax newer than what they parse.
 */
export function nodeProblem(versions, features, execPath) {
  const installed = String((versions && versions.node) || "unknown");
  const parts = installed.split(".").map(Number);
  const major = parts[0] || 0;
  const minor = parts[1] || 0;
  const where = execPath ? ` (${execPath})` : "";
  const recentEnough =
    major > 23 ||
    (major === 23 && minor >= requiredNode.line23[1]) ||
    (major === 22 && minor >= requiredNode.line22[1]);
  if (!recentEnough) {
    return `terragate needs Node.js >= 22.18 (24 LTS recommended); this is Node.js ${installed}${where}: ${howToGet}.`;
  }
  const stripping = features ? features.typescript : undefined;
  if (stripping === false) {
    return `terragate needs Node.js's TypeScript type stripping, which is turned off in Node.js ${installed}${where} (is --no-experimental-strip-types in NODE_OPTIONS?): remove that flag.`;
  }
  return undefined;
}
