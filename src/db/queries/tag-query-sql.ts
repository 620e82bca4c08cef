// Translates a parsed tag query into a SQL condition on a dirspace row (its dir, workspace and tags).
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { TagQuery } from "../../domain/tag-query.ts";

export interface DirspaceColumns {
  dir: SQLWrapper;
  workspace: SQLWrapper;
  tags: SQLWrapper;
}

/**
 * The same semantics as `evaluateTagQuery` over a dirspace's tags plus its implicit `dir:DIR` and
 * `workspace:NAME`, evaluated by PostgreSQL so that filtering and pagination stay exact.
 */
export function tagQueryCondition(query: TagQuery, columns: DirspaceColumns): SQL {
  switch (query.kind) {
    case "all":
      return sql`true`;
    case "tag": {
      const stored = sql`${query.tag} = any(${columns.tags})`;
      if (query.tag.startsWith("dir:")) return sql`(${columns.dir} = ${query.tag.slice(4)} or ${stored})`;
      if (query.tag.startsWith("workspace:")) {
        return sql`(${columns.workspace} = ${query.tag.slice(10)} or ${stored})`;
      }
      return stored;
    }
    case "in-dir":
      return sql`${query.segment} = any(string_to_array(${columns.dir}, '/'))`;
    case "not":
      return sql`not (${tagQueryCondition(query.operand, columns)})`;
    case "and":
      return sql`(${sql.join(
        query.operands.map((operand) => tagQueryCondition(operand, columns)),
        sql` and `,
      )})`;
    case "or":
      return sql`(${sql.join(
        query.operands.map((operand) => tagQueryCondition(operand, columns)),
        sql` or `,
      )})`;
    default: {
      const unreachable: never = query;
      return unreachable;
    }
  }
}
