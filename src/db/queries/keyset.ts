// Keyset pagination conditions: rows strictly after the cursor's sort key, in the listing's direction.
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { SortDirection } from "./cursor.ts";

/** `(c1, c2, …) > (v1, v2, …)` ascending, `<` descending: a row comparison that an index on the columns serves. */
export function keysetAfter(columns: SQLWrapper[], values: SQL[], direction: SortDirection): SQL {
  const op = direction === "asc" ? sql`>` : sql`<`;
  return sql`(${sql.join(columns, sql`, `)}) ${op} (${sql.join(values, sql`, `)})`;
}

/** `order by c1 dir, c2 dir, …` for the listing's direction. */
export function keysetOrder(columns: SQLWrapper[], direction: SortDirection): SQL[] {
  const dir = direction === "asc" ? sql`asc` : sql`desc`;
  return columns.map((column) => sql`${column} ${dir}`);
}
