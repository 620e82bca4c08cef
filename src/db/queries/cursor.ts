// Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded JSON.
import { z } from "zod";

/** A cursor's content: the last row's sort-key values, in order (timestamps as PostgreSQL text). */
export const CursorKey = z
  .array(z.union([z.string(), z.number()]))
  .min(1)
  .max(6);
export type CursorKey = z.infer<typeof CursorKey>;

export class CursorError extends Error {
  override name = "CursorError";
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** Decodes a cursor made by `encodeCursor` with `length` values; throws CursorError otherwise. */
export function decodeCursor(cursor: string, length: number): CursorKey {
  try {
    const parsed = CursorKey.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    if (parsed.length !== length) throw new CursorError("cursor belongs to another listing");
    return parsed;
  } catch (cause) {
    throw new CursorError("next_page is not a cursor returned by this listing; start again without it", {
      cause,
    });
  }
}

export type SortDirection = "asc" | "desc";

/** A page of rows and the cursor for the next one (null at the end). */
export interface Page<T> {
  items: T[];
  nextPage: string | null;
}

/** Cuts `limit + 1` fetched rows to a page; the extra row only tells that a next page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextPage: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
