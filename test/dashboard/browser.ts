// Real-browser helpers for dashboard tests: find Debian's chromium, launch it headless, screenshots at two widths, an axe pass.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Where screenshots go (gitignored; CI keeps it as an artifact). The README names this folder. */
export const screenshotDir = path.resolve(import.meta.dirname, "../../test-artifacts/screenshots");

const candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The browser to drive: TERRAGATE_CHROMIUM, else the first installed candidate; a reason when there is none. */
export function findChromium(): { path: string } | { reason: string } {
  const wanted = process.env["TERRAGATE_CHROMIUM"];
  if (wanted)
    return existsSync(wanted) ? { path: wanted } : { reason: `TERRAGATE_CHROMIUM=${wanted} does not exist` };
  const found = candidates.find((candidate) => existsSync(candidate));
  return found
    ? { path: found }
    : {
        reason: `no Chromium at ${candidates.join(", ")} (install Debian's chromium package: apt-get install -y chromium)`,
      };
}

/**
 * Chromium keeps only the last --disable-features it is given, so this list starts with playwright-core's own
 * (`disabledFeatures` in its chromiumSwitches, 1.65; compare when upgrading it), then adds what cost these tests
 * CPU for nothing. Debian's chromium is the full browser run headless: each context is a window whose address bar
 * preloads its suggestion popups as web pages, in a renderer that used 7–8 % of a core for as long as the context
 * was open. And a spare renderer was started ahead of navigations that might need one; 8 of 21 were never used.
 */
const disabledFeatures = [
  "AvoidUnnecessaryBeforeUnloadCheckSync",
  "DestroyProfileOnBrowserClose",
  "HttpsUpgrades",
  "HttpsFirstBalancedModeAutoEnable",
  "LensOverlay",
  "MediaRouter",
  "PaintHolding",
  "ThirdPartyStoragePartitioning",
  "AvoidCorsURLLoaderRestartOnRedirect",
  "TcpPortRandomizationWin",
  "OptimizationHints",
  "NetworkTimeServiceQuerying",
  "AimEnabled",
  "PreconnectToSearch",
  "msForceBrowserSignIn",
  "msEdgeUpdateLaunchServicesPreferredVersion",
  "WebUIOmniboxPopup",
  "WebUIOmniboxAimPopup",
  "SpareRendererForSitePerProcess",
];

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    // Playwright adds --headless itself when headless; the rest keep the browser off the network and quiet.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--disable-features=${disabledFeatures.join(",")}`,
    ],
  });
}

export const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 375, height: 812 },
} as const;

/**
 * Full-page screenshots of the current page at desktop and phone width, named `<name>-desktop.png` and
 * `<name>-phone.png`, and how many pixels the page is wider than the phone's screen (at phone width nothing but
 * scroll boxes may be wider than the screen: the page itself never scrolls sideways). The page is left at desktop
 * width; it is resized once each way, since every resize lays out and paints the page again.
 */
export async function screenshotsAndPhoneOverflow(page: Page, name: string): Promise<number> {
  await mkdir(screenshotDir, { recursive: true });
  const shot = (label: keyof typeof viewports) =>
    page.screenshot({ path: path.join(screenshotDir, `${name}-${label}.png`), fullPage: true });
  await page.setViewportSize(viewports.desktop);
  await shot("desktop");
  await page.setViewportSize(viewports.phone);
  await shot("phone");
  const overflow = await page.evaluate(() => {
    // Runs in the page: the DOM's globals, typed here without pulling the DOM library into the project.
    const view = globalThis as unknown as {
      innerWidth: number;
      document: { documentElement: { scrollWidth: number } };
    };
    return view.document.documentElement.scrollWidth - view.innerWidth;
  });
  await page.setViewportSize(viewports.desktop);
  return overflow;
}

/**
 * axe-core, minified (the same build as axe.source, at half its size), put into a page only when it is checked: as an
 * init script it ran in every page the browser opened, each sign-in hop too, about 0.2 CPU-seconds a page.
 */
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact?: string | null;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core's source in the page through the DevTools protocol itself: page.evaluate passes a string to
 * Playwright's in-page helper, which evals it, and that took the renderer twice as long.
 */
async function loadAxe(page: Page): Promise<void> {
  const session = await page.context().newCDPSession(page);
  try {
    const { exceptionDetails } = await session.send("Runtime.evaluate", { expression: axeSource });
    if (exceptionDetails)
      throw new Error(
        `axe-core did not load in ${page.url()}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`,
      );
  } finally {
    await session.detach();
  }
}

/** axe-core's serious and critical violations on the current page, as "rule: target" lines. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await loadAxe(page);
  // Runs in the page; only the violations are gathered in detail (passes would cost as much again).
  const violations = await page.evaluate(async () => {
    const inPage = globalThis as unknown as {
      document: unknown;
      axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
    };
    return (await inPage.axe.run(inPage.document, { resultTypes: ["violations"] })).violations;
  });
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(" ")}`));
}
