/**
 * Schemas every resource shares: the error reply, UUID ids, paging, ISO times and the filters of
 * time-series lists. Each is a zod schema, so it validates a request, types the handler and
 * describes itself in `GET /api/openapi.json` at once.
 *
 * Messages are written as the end of "<field> ..." (see models/validation.ts).
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { UUID_PATTERN } from "../models/ids.ts";
import { LABEL_PATTERN } from "../models/detectors/labels.ts";
import { patterned } from "../models/validation.ts";

/** `{"error":{"code","message"}}`: every 4xx and 5xx reply. */
export const ErrorReply = z.object({
  error: z.object({
    code: z.string().openapi({
      description: "Machine-readable, stable across releases",
      example: "invalid_input",
    }),
    message: z.string().openapi({
      description: "What is wrong, naming the field by its dotted path",
      example: "zones.0.polygon is self-intersecting: edges 0 and 2 cross or touch",
    }),
  }),
}).openapi("Error");

/** A UUID (any version, either case), answered lowercase. */
export const Uuid = z.string()
  .regex(UUID_PATTERN, "must be a UUID")
  .transform((id) => id.toLowerCase())
  .openapi({ format: "uuid", example: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e" });

/** A UUID as a reply field (already lowercase). */
export const UuidOut = z.string().openapi({
  format: "uuid",
  example: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e",
});

/** `/{id}` where id is a UUID. */
export const IdParam = z.object({
  id: Uuid.openapi({ param: { name: "id", in: "path" } }),
});

/** An instant as replies carry it: ISO 8601 in UTC. */
export const Instant = z.string().openapi({
  format: "date-time",
  example: "2026-11-25T14:00:00.000Z",
});

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Years PostgreSQL and JavaScript agree on; year 0 parses in JS and fails in PostgreSQL. */
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;
const INSTANT_HINT = "must be an ISO 8601 time with a zone, e.g. 2026-11-25T14:00:00Z";

/**
 * Tells whether a string is an ISO 8601 time with an explicit zone on a day that exists, in the
 * years PostgreSQL and JavaScript agree on. A bare local time would depend on the server's zone;
 * `2026-02-30` would parse as 2 March.
 *
 * @param raw the query value
 * @returns true when it names one instant
 */
export function isInstant(raw: string): boolean {
  if (!INSTANT.test(raw)) return false;
  const date = new Date(raw);
  const day = raw.slice(0, 10);
  const midnight = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || Number.isNaN(midnight.getTime())) return false;
  const year = date.getUTCFullYear();
  return midnight.toISOString().slice(0, 10) === day && year >= MIN_YEAR && year <= MAX_YEAR;
}

/** A query time: ISO 8601 with a zone, parsed to a Date. */
export const InstantQuery = z.string()
  .refine(isInstant, INSTANT_HINT)
  .transform((raw) => new Date(raw))
  .openapi({ format: "date-time", example: "2026-11-25T14:00:00Z" });

const LIMIT_HINT = "must be an integer from 1 to 500";

/** `limit` (1..500, default 50) and an opaque `cursor` (the previous page's `next`). */
export const PageQuery = z.object({
  limit: z.string()
    .regex(/^[0-9]{1,4}$/, LIMIT_HINT)
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, LIMIT_HINT)
    .optional()
    .transform((n) => n ?? 50)
    .openapi({ type: "integer", minimum: 1, maximum: 500, default: 50, example: 50 }),
  cursor: z.string()
    .regex(/^[A-Za-z0-9_.:-]{1,200}$/, "is not valid")
    .optional()
    .openapi({ description: "The `next` of the previous page" }),
});

/**
 * A page of a list: `{ items, next }`, `next` being the cursor of the following page or null.
 *
 * @param item the schema of one item
 * @returns the page schema
 */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().openapi({
      description: "Pass it back as `cursor` for the next page; null on the last one",
    }),
  });
}

/** A label as the detectors name them. */
export const Label = patterned(LABEL_PATTERN, "must be 1 to 64 printable characters")
  .openapi({ example: "person" });

/**
 * The filters of a time-series list (`camera`, `label`, `from` inclusive, `to` exclusive) and
 * paging. Unknown parameters are refused (400); `from` at or after `to` is 422.
 */
export const SeriesQuery = z.strictObject({
  camera: Uuid.optional(),
  label: Label.optional(),
  from: InstantQuery.optional(),
  to: InstantQuery.optional(),
  ...PageQuery.shape,
});

/**
 * Refuses a well-formed but empty range: `from` at or after `to` (422).
 *
 * @param query the parsed query
 * @param ctx zod's refinement context
 */
export function rangeIsOrdered(
  query: { from?: Date; to?: Date },
  ctx: z.RefinementCtx,
): void {
  // zod runs this refinement even when `from` or `to` failed its own check and was left a raw
  // string (found by the route fuzzer: `?from=PAp&to=...` answered 500): compare only dates.
  if (
    query.from instanceof Date && query.to instanceof Date &&
    query.from.getTime() >= query.to.getTime()
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["from"],
      message: "must be before to",
      params: { status: 422 },
    });
  }
}
