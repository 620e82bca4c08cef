// GitLab member access levels → Terragate's repository roles (the `role:` principals of access control).
import type { RepoRole } from "../types.ts";

/** GitLab's numeric access levels (API `access_level`). */
export const gitlabAccessLevels = {
  noAccess: 0,
  minimalAccess: 5,
  guest: 10,
  planner: 15,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

/** guest/planner/reporter → read, developer → write, maintainer → maintain, owner → admin; below guest → none. */
export function roleForAccessLevel(level: number): RepoRole {
  if (level >= gitlabAccessLevels.owner) return "admin";
  if (level >= gitlabAccessLevels.maintainer) return "maintain";
  if (level >= gitlabAccessLevels.developer) return "write";
  if (level >= gitlabAccessLevels.guest) return "read";
  return "none";
}
