// Sign-in and sign-out: /auth/{vcs}/sign-in → the VCS's authorize page → /api/v1/{vcs}/callback → the page asked for.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { html } from "hono/html";
import { isGroupMember } from "../../vcs/gitlab/oauth.ts";
import { OAuthError } from "../../vcs/oauth.ts";
import { type VcsName, vcsNames } from "../../vcs/types.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { messagePage } from "../views/pages.ts";
import {
  clearOAuthCookie,
  clearSessionCookies,
  readCookie,
  setOAuthCookie,
  setSessionCookies,
} from "./cookies.ts";

/** How long a person has to finish signing in at the VCS. */
const OAUTH_STATE_SECONDS = 600;

const vcsLabel: Record<VcsName, string> = { github: "GitHub", gitlab: "GitLab" };

function isVcs(value: string): value is VcsName {
  return (vcsNames as readonly string[]).includes(value);
}

/** Only paths of this server: `/…` but not `//host` or `/\host`, no control characters. */
export function safeNext(next: string | undefined): string {
  if (
    !next ||
    next.length > 2000 ||
    !next.startsWith("/") ||
    next.startsWith("//") ||
    next.startsWith("/\\")
  ) {
    return "/";
  }
  return /[\u0000-\u001f\u007f]/.test(next) ? "/" : next;
}

/** The OAuth cookie binds the state to this browser: `vcs.state.next.expiry.mac`, all base64url. */
function oauthCookieCodec(encryptionKey: Buffer) {
  const key = Buffer.from(hkdfSync("sha256", encryptionKey, "", "terragate dashboard oauth state", 32));
  const mac = (body: string) => createHmac("sha256", key).update(body).digest("base64url");
  return {
    encode(vcs: VcsName, state: string, next: string): string {
      const body = [
        vcs,
        state,
        Buffer.from(next).toString("base64url"),
        Date.now() + OAUTH_STATE_SECONDS * 1000,
      ].join(".");
      return `${body}.${mac(body)}`;
    },
    decode(value: string | undefined): { vcs: string; state: string; next: string } | null {
      const parts = value?.split(".") ?? [];
      if (parts.length !== 5) return null;
      const [vcs, state, next, expiry, signature] = parts as [string, string, string, string, string];
      const expected = Buffer.from(mac(parts.slice(0, 4).join(".")));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
      if (Number(expiry) < Date.now()) return null;
      return { vcs, state, next: Buffer.from(next, "base64url").toString("utf8") };
    },
  };
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function authRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { cookies, deps } = services;
  const codec = oauthCookieCodec(deps.encryptionKey);
  const callbackUrl = (vcs: VcsName) => `${deps.config.publicUrl}/api/v1/${vcs}/callback`;

  app.get("/auth/:vcs/sign-in", async (c) => {
    const vcs = c.req.param("vcs");
    const provider = isVcs(vcs) ? await services.providers(vcs) : null;
    if (!provider || !isVcs(vcs)) {
      return c.html(
        messagePage(c, "Sign-in not available", html`<p>This server does not offer sign-in with ${vcs}.</p>`),
        404,
      );
    }
    const state = randomBytes(24).toString("base64url");
    setOAuthCookie(c, cookies, codec.encode(vcs, state, safeNext(c.req.query("next"))), OAUTH_STATE_SECONDS);
    return c.redirect(provider.authorizeUrl(state, callbackUrl(vcs)), 302);
  });

  app.get("/api/v1/:vcs/callback", async (c) => {
    const vcs = c.req.param("vcs");
    if (!isVcs(vcs)) return c.notFound();
    const pending = codec.decode(readCookie(c, cookies.oauth));
    clearOAuthCookie(c, cookies);
    const retry = html`<p><a class="button primary" href="/auth/${vcs}/sign-in">Sign in again</a></p>`;
    const state = c.req.query("state") ?? "";
    if (!pending || pending.vcs !== vcs || !sameString(pending.state, state)) {
      return c.html(
        messagePage(
          c,
          "Sign-in link expired",
          html`<p>This sign-in was started in another browser, used already, or took longer than 10 minutes.</p>${retry}`,
        ),
        400,
      );
    }
    if (c.req.query("error")) {
      return c.html(
        messagePage(
          c,
          "Sign-in cancelled",
          html`<p>${vcsLabel[vcs]} said: ${c.req.query("error")}.</p>${retry}`,
        ),
        400,
      );
    }
    const code = c.req.query("code") ?? "";
    const provider = await services.providers(vcs);
    if (!provider || !/^[\w.-]{1,512}$/.test(code)) {
      return c.html(
        messagePage(
          c,
          "Sign-in failed",
          html`<p>The answer from ${vcsLabel[vcs]} has no usable code.</p>${retry}`,
        ),
        400,
      );
    }
    try {
      const tokens = await provider.exchangeCode(code, callbackUrl(vcs));
      const user = await provider.user(tokens);
      const session = await services.sessions.signIn(provider, tokens, user);
      setSessionCookies(c, cookies, session);
      return c.redirect(safeNext(pending.next), 302);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      deps.logger.warn({ err: error }, "dashboard sign-in failed");
      return c.html(
        messagePage(c, "Sign-in failed", html`<p>${error.message}.</p>${retry}`),
        error.kind === "server" || error.kind === "network" ? 502 : 400,
      );
    }
  });

  // The signed-in GitLab person's membership of a group (inherited included), as GitLab says now.
  app.get("/api/v1/gitlab/groups/:id/is-member", async (c) => {
    const session = c.get("session");
    if (!session)
      return c.json({ error: { code: "unauthorized", message: "sign in with GitLab first" } }, 401);
    if (session.vcs !== "gitlab") {
      return c.json(
        { error: { code: "forbidden", message: "this session signed in with GitHub, not GitLab" } },
        403,
      );
    }
    const id = c.req.param("id");
    if (!/^\d{1,20}$/.test(id)) {
      return c.json(
        { error: { code: "bad_request", message: "id: expected a numeric GitLab group id" } },
        400,
      );
    }
    const tokens = await services.sessions.vcsTokens(session.sessionId);
    if (!tokens) return c.json({ error: { code: "unauthorized", message: "the session has ended" } }, 401);
    try {
      const member = await isGroupMember({ url: deps.config.GITLAB_URL }, tokens, session.userExternalId, id);
      return c.json({ is_member: member }, 200);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return error.kind === "revoked"
        ? c.json({ error: { code: "unauthorized", message: error.message } }, 401)
        : c.json({ error: { code: "bad_gateway", message: error.message } }, 502);
    }
  });

  app.post("/auth/sign-out", async (c) => {
    const session = c.get("session");
    if (session) {
      const form = await c.req.parseBody();
      const problem = services.csrf.problem(
        c,
        session.sessionId,
        typeof form["_csrf"] === "string" ? form["_csrf"] : undefined,
      );
      if (problem) return c.html(messagePage(c, "Not signed out", html`<p>${problem}.</p>`), 403);
      await services.sessions.signOut(session.sessionId);
      deps.logger.info({ login: session.login, vcs: session.vcs }, "dashboard sign-out");
    }
    clearSessionCookies(c, cookies);
    return c.redirect("/", 303);
  });

  return app;
}
