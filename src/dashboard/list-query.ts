// Listing parameters of dashboard pages, the same as the tooling API's: `d` (asc|desc) and the `next_page` cursor.
import type { Context } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import { CursorError, decodeCursor, type SortDirection } from "../db/queries/cursor.ts";
import type { DashboardEnv } from "./context.ts";
import { htmlResponse, messagePage } from "./views/pages.ts";

export interface ListQuery {
  direction: SortDirection;
  after: (string | number)[] | undefined;
}

/** Reads `d` and `next_page` (a cursor of `length` values); a bad cursor answers 400 naming the parameter. */
export function listQuery(c: Context<DashboardEnv>, length: number): ListQuery {
  const direction: SortDirection = c.req.query("d") === "asc" ? "asc" : "desc";
  const cursor = c.req.query("next_page");
  if (cursor === undefined || cursor === "") return { direction, after: undefined };
  try {
    return { direction, after: decodeCursor(cursor, length) };
  } catch (error) {
    if (!(error instanceof CursorError)) throw error;
    throw new HTTPException(400, {
      res: htmlResponse(messagePage(c, "Bad page link", html`<p>next_page: ${error.message}.</p>`), 400),
    });
  }
}
