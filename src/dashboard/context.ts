// What every dashboard route sees: the app's dependencies, the session services, and the signed-in person (if any).

import type { AppDeps } from "../api/app.ts";
import type { SigningKeyStore } from "../api/auth/signing-key-store.ts";
import type { CookieNames } from "./auth/cookies.ts";
import type { CsrfGuard } from "./auth/csrf.ts";
import type { ProviderResolver } from "./auth/providers.ts";
import type { SessionClaims } from "./auth/session-token.ts";
import type { SessionService } from "./auth/sessions.ts";

export interface DashboardServices {
  deps: AppDeps;
  sessions: SessionService;
  keyStore: SigningKeyStore;
  cookies: CookieNames;
  csrf: CsrfGuard;
  providers: ProviderResolver;
}

/** What every page's frame needs besides its content. */
export interface ViewContext {
  assetVersion: string;
  /** The zone times are shown in: `tz` in the URL, else the browser's, else UTC. */
  timeZone: string;
  /** The signed-in person's CSRF token, for forms. */
  csrfToken: string | undefined;
}

export interface DashboardEnv {
  Variables: {
    /** The signed-in person, or undefined. */
    session: SessionClaims | undefined;
    view: ViewContext;
  };
}
