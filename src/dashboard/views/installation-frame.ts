// The frame of every installation page: crumbs back to the installation list and the section tabs.
import type { Context } from "hono";
import { platformFor } from "../../vcs/registry.ts";
import type { DashboardEnv } from "../context.ts";
import type { DashboardInstallation } from "../guards.ts";
import type { Crumb, Html, Tab } from "./layout.ts";
import { type PageInput, page } from "./pages.ts";

export const sections = ["repositories", "pulls", "runs", "locks", "audit", "api-keys"] as const;
export type Section = (typeof sections)[number];

const labels: Record<Section, string> = {
  repositories: "Repositories",
  pulls: "Pull requests",
  runs: "Runs",
  locks: "Locks",
  audit: "Audit log",
  "api-keys": "API keys",
};

const paths: Record<Section, string> = {
  repositories: "",
  pulls: "/pulls",
  runs: "/runs",
  locks: "/locks",
  audit: "/audit",
  "api-keys": "/api-keys",
};

export function sectionHref(installation: DashboardInstallation, section: Section): string {
  return `${installation.base}${paths[section]}`;
}

/** A section's label in the platform's words ("Merge requests" on GitLab). */
function sectionLabel(installation: DashboardInstallation, section: Section): string {
  if (section !== "pulls") return labels[section];
  const { changeRequest } = platformFor(installation.vcs).words;
  return `${changeRequest[0]!.toUpperCase()}${changeRequest.slice(1)}s`;
}

export function installationTabs(installation: DashboardInstallation, current: Section | null): Tab[] {
  return sections
    .filter((section) => section !== "api-keys" || installation.admin)
    .map((section) => ({
      label: sectionLabel(installation, section),
      href: sectionHref(installation, section),
      current: section === current,
    }));
}

export function installationCrumbs(installation: DashboardInstallation, ...rest: Crumb[]): Crumb[] {
  return [
    { label: "Installations", href: "/" },
    { label: installation.accountLogin, href: installation.base },
    ...rest,
  ];
}

export interface InstallationFrame {
  section: Section | null;
  title: string;
  crumbs?: Crumb[];
  live?: PageInput["live"];
}

/** The frame of an installation page: its crumbs (then `crumbs`) and the section tabs. */
export function installationFrame(
  installation: DashboardInstallation,
  input: InstallationFrame,
): Omit<PageInput, "body"> {
  return {
    title: input.title,
    crumbs: installationCrumbs(installation, ...(input.crumbs ?? [])),
    tabs: installationTabs(installation, input.section),
    ...(input.live ? { live: input.live } : {}),
  };
}

/** A page of an installation: its frame and the body. */
export function installationPage(
  c: Context<DashboardEnv>,
  installation: DashboardInstallation,
  input: InstallationFrame & { body: Html },
): Html {
  return page(c, { ...installationFrame(installation, input), body: input.body });
}
