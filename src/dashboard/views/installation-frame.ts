// The frame of every installation page: crumbs back to the installation list and the section tabs.
import type { Context } from "hono";
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

export function installationTabs(installation: DashboardInstallation, current: Section | null): Tab[] {
  return sections
    .filter((section) => section !== "api-keys" || installation.admin)
    .map((section) => ({
      label: labels[section],
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

/** A page of an installation: its crumbs (then `crumbs`), the section tabs, and the body. */
export function installationPage(
  c: Context<DashboardEnv>,
  installation: DashboardInstallation,
  input: { section: Section | null; title: string; crumbs?: Crumb[]; body: Html; live?: PageInput["live"] },
): Html {
  return page(c, {
    title: input.title,
    crumbs: installationCrumbs(installation, ...(input.crumbs ?? [])),
    tabs: installationTabs(installation, input.section),
    body: input.body,
    ...(input.live ? { live: input.live } : {}),
  });
}
