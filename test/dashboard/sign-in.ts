// Signing in over HTTP through the fake GitHub's authorize page, for dashboard tests that do not need a browser.
import { expect } from "vitest";
import type { CookieClient } from "./cookie-client.ts";
import type { DashboardBed } from "./dashboard-bed.ts";

/** Signs in as `login` starting from `path`; returns the page landed on. */
export async function signInOverHttp(bed: DashboardBed, client: CookieClient, login: string, path = "/") {
  const start = await client.follow(`${bed.url}${path}`);
  const signInLink = /href="(\/auth\/github\/sign-in[^"]*)"/.exec(start.text)?.[1];
  expect(signInLink, "the sign-in page offers GitHub").toBeDefined();
  const authorize = await client.request(`${bed.url}${signInLink!.replace(/&amp;/g, "&")}`);
  const consent = await client.request(authorize.location!);
  const fields = Object.fromEntries(
    [...consent.text.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((match) => [
      match[1]!,
      match[2]!.replace(/&#38;/g, "&"),
    ]),
  );
  const approved = await client.request(`${bed.github.url}/login/oauth/authorize`, {
    method: "POST",
    form: { ...fields, login },
  });
  expect(approved.status).toBe(302);
  return client.follow(approved.location!);
}
