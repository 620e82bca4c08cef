// Bounded request bodies for the runner endpoints: refused by declared length, capped while read, validated.
import type { MiddlewareHandler } from "hono";
import type { ZodError, ZodType } from "zod";
import { RunnerApiError } from "./runner-auth.ts";

/**
 * Refuses a body whose declared length is over the limit, before authentication and without reading it.
 * A body without a declared length is bounded while it is read (readJson), after authentication.
 */
export function limitBody(maxBytes: number, tooLarge: string): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > maxBytes) {
      // Closing the connection spares reading a body nobody will use; the server still drains what the
      // client has in flight, a bounded while (src/server/lingering-close.ts), so that it reads this 413.
      c.header("connection", "close");
      throw new RunnerApiError(413, tooLarge);
    }
    await next();
  };
}

export function zodIssues(error: ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

/** Reads a JSON body of at most `maxBytes`, stopping as soon as it is over (a body may not declare its length). */
async function readJson(request: Request, maxBytes: number, tooLarge: string): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new RunnerApiError(413, tooLarge);
      }
      chunks.push(value);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new RunnerApiError(400, "the request body is not valid JSON");
  }
}

/** A body's size limit, the sentence that refuses a bigger one, and its schema. */
export interface BodySpec<T> {
  maxBytes: number;
  tooLarge: string;
  schema: ZodType<T>;
  /** Names the body in the 400 answer: "invalid <what>". */
  what: string;
}

/** Reads and validates a body; a 400 names every wrong field, a 413 the limit. */
export async function readBody<T>(request: Request, spec: BodySpec<T>): Promise<T> {
  const parsed = spec.schema.safeParse(await readJson(request, spec.maxBytes, spec.tooLarge));
  if (!parsed.success) throw new RunnerApiError(400, `invalid ${spec.what}`, zodIssues(parsed.error));
  return parsed.data;
}
