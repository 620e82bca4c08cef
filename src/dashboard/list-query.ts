// Listing parameters of dashboard pages, the same as the tooling API's: `d` (asc|desc) and the `next_page` cursor.
import type { Context } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import { CursorError, decodeCursor, type SortDirection } from "../db/queries/cursor.ts";
import { parseTagQuery, type TagQuery, TagQueryError } from "../domain/tag-query.ts";
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

/** The `q` tag query of a listing (undefined when empty); a bad one answers 400 naming the column. */
export function tagQueryParam(c: Context<DashboardEnv>): { text: string; query: TagQuery | undefined } {
  const text = (c.req.query("q") ?? "").trim();
  if (text === "") return { text, query: undefined };
  try {
    return { text, query: parseTagQuery(text) };
  } catch (error) {
    if (!(error instanceof TagQueryError)) throw error;
    throw new HTTPException(400, {
      res: htmlResponse(
        messagePage(
          c,
          "Bad tag query",
          html`<p>q: ${error.message}</p><p><a href="${new URL(c.req.url).pathname}">Clear the filter</a></p>`,
        ),
        400,
      ),
    });
  }
}

/** The tags a dirspace matches on: its own and the implicit `dir:` and `workspace:`. */
export function dirspaceTags(dirspace: {
  dir: string;
  workspace: string;
  tags: readonly string[];
}): Set<string> {
  return new Set([...dirspace.tags, `dir:${dirspace.dir}`, `workspace:${dirspace.workspace}`]);
}
