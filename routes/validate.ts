/**
 * Request validation: small composable field checkers that turn `unknown` into typed values or
 * throw a {@linkcode ValidationError} naming the field. Bodies are never cast; every route parses
 * its input through these.
 *
 * @module
 */
import type { Context } from "hono";
import { ValidationError, VigilError } from "../models/errors.ts";
import { isUuid } from "../models/ids.ts";
import { LABEL_PATTERN } from "../models/detectors/labels.ts";

/** Checks one value found at `path`; returns it typed or throws. */
export type Field<T> = (value: unknown, path: string) => T;

/** The typed result of an object shape. */
export type Parsed<S extends Record<string, Field<unknown>>> = { [K in keyof S]: ReturnType<S[K]> };

/**
 * A string of bounded length.
 *
 * @param options `min`/`max` length and an optional `pattern`
 * @returns the field checker
 */
export function string(
  options: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {},
): Field<string> {
  const { min = 1, max = 200, pattern, hint } = options;
  return (value, path) => {
    if (typeof value !== "string") throw new ValidationError(`${path} must be a string`, path);
    if (value.length < min || value.length > max) {
      throw new ValidationError(`${path} must be ${min} to ${max} characters long`, path);
    }
    if (pattern && !pattern.test(value)) {
      throw new ValidationError(`${path} ${hint ?? `must match ${pattern}`}`, path);
    }
    return value;
  };
}

/**
 * A finite number in a range.
 *
 * @param options bounds and whether it must be an integer
 * @returns the field checker
 */
export function number(
  options: { min?: number; max?: number; integer?: boolean } = {},
): Field<number> {
  const { min = -Infinity, max = Infinity, integer = false } = options;
  return (value, path) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ValidationError(`${path} must be a number`, path);
    }
    if (integer && !Number.isInteger(value)) {
      throw new ValidationError(`${path} must be an integer`, path);
    }
    if (value < min || value > max) {
      throw new ValidationError(`${path} must be between ${min} and ${max}`, path);
    }
    return value;
  };
}

/** A boolean. */
export const boolean: Field<boolean> = (value, path) => {
  if (typeof value !== "boolean") throw new ValidationError(`${path} must be true or false`, path);
  return value;
};

/**
 * One of a fixed set of strings.
 *
 * @param choices the allowed values
 * @returns the field checker
 */
export function oneOf<T extends string>(choices: readonly T[]): Field<T> {
  return (value, path) => {
    const found = choices.find((choice) => choice === value);
    if (found === undefined) {
      throw new ValidationError(`${path} must be one of ${choices.join(", ")}`, path);
    }
    return found;
  };
}

/**
 * Makes a field optional: `undefined` (absent) passes as `undefined`.
 *
 * @param field the checker for a present value
 * @returns the field checker
 */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  return (value, path) => value === undefined ? undefined : field(value, path);
}

/**
 * An array of bounded length whose items all pass `item`.
 *
 * @returns the field checker
 */
export function arrayOf<T>(
  item: Field<T>,
  options: { min?: number; max?: number } = {},
): Field<T[]> {
  const { min = 0, max = 1000 } = options;
  return (value, path) => {
    if (!Array.isArray(value)) throw new ValidationError(`${path} must be an array`, path);
    if (value.length < min || value.length > max) {
      throw new ValidationError(`${path} must have ${min} to ${max} items`, path);
    }
    return value.map((v, i) => item(v, `${path}.${i}`));
  };
}

/**
 * A plain object with exactly the fields of `shape`: unknown fields are refused so a typo never
 * passes silently.
 *
 * @param shape field name → checker
 * @returns the field checker
 */
export function object<S extends Record<string, Field<unknown>>>(shape: S): Field<Parsed<S>> {
  return (value, path) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ValidationError(`${path} must be a JSON object`, path);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(shape, key)) {
        throw new ValidationError(`${path}.${key} is not a known field`, `${path}.${key}`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const parsed = check(record[key], path === "body" ? key : `${path}.${key}`);
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as Parsed<S>;
  };
}

/**
 * Reads a JSON request body and checks it.
 *
 * @param c Hono context
 * @param field checker for the whole body
 * @returns the typed body
 * @throws {VigilError} 415 without a JSON content type, 400 on malformed JSON
 * @throws {ValidationError} 422 naming the bad field
 */
export async function readJson<T>(c: Context, field: Field<T>): Promise<T> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new VigilError("unsupported_media_type", "the body must be application/json", 415);
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new VigilError("malformed_json", "the body is not valid JSON", 400);
  }
  return field(body, "body");
}

/**
 * Reads a UUID path parameter.
 *
 * @throws {ValidationError} 400 when it is not a UUID
 */
export function uuidParam(c: Context, name: string): string {
  const value = c.req.param(name);
  if (!isUuid(value)) throw new ValidationError(`${name} must be a UUID`, name, 400);
  return value.toLowerCase();
}

/**
 * Reads the paging parameters `limit` (1..500, default 50) and `cursor`.
 *
 * @throws {ValidationError} 400 on a bad limit
 */
export function pageParams(c: Context): { limit: number; cursor: string | undefined } {
  const raw = c.req.query("limit");
  const limit = raw === undefined ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ValidationError("limit must be an integer from 1 to 500", "limit", 400);
  }
  const cursor = c.req.query("cursor");
  if (cursor !== undefined && !/^[A-Za-z0-9_.:-]{1,200}$/.test(cursor)) {
    throw new ValidationError("cursor is not valid", "cursor", 400);
  }
  return { limit, cursor };
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Years PostgreSQL and JavaScript agree on; year 0 parses in JS and fails in PostgreSQL. */
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

/**
 * The common filters of a time-series list (`camera`, `label`, `from`, `to`), refusing any query
 * parameter not in `known`. Times are ISO 8601 with an explicit zone (a bare local time would
 * depend on the server); `from` is inclusive, `to` exclusive.
 *
 * @param c Hono context
 * @param known every parameter the route accepts
 * @returns the filters (camera lowercased)
 * @throws {ValidationError} 400 for a malformed or unknown parameter, 422 when `from` ≥ `to`
 */
export function seriesFilters(
  c: Context,
  known: readonly string[],
): { camera?: string; label?: string; from?: Date; to?: Date } {
  for (const key of Object.keys(c.req.query())) {
    if (!known.includes(key)) {
      throw new ValidationError(`${key} is not a known parameter`, key, 400);
    }
  }
  const camera = c.req.query("camera");
  if (camera !== undefined && !isUuid(camera)) {
    throw new ValidationError("camera must be a UUID", "camera", 400);
  }
  const label = c.req.query("label");
  if (label !== undefined && !LABEL_PATTERN.test(label)) {
    throw new ValidationError("label must be 1 to 64 printable characters", "label", 400);
  }
  const instant = (name: string) => {
    const raw = c.req.query(name);
    if (raw === undefined) return undefined;
    const date = new Date(raw);
    const year = date.getUTCFullYear();
    // `2026-02-30` parses as 2 March: refuse dates whose day does not exist.
    const day = raw.slice(0, 10);
    const midnight = new Date(`${day}T00:00:00Z`);
    const sameDay = !Number.isNaN(date.getTime()) && !Number.isNaN(midnight.getTime()) &&
      midnight.toISOString().slice(0, 10) === day;
    if (!INSTANT.test(raw) || !sameDay || year < MIN_YEAR || year > MAX_YEAR) {
      throw new ValidationError(
        `${name} must be an ISO 8601 time with a zone, e.g. 2026-11-25T14:00:00Z`,
        name,
        400,
      );
    }
    return date;
  };
  const from = instant("from");
  const to = instant("to");
  if (from && to && from.getTime() >= to.getTime()) {
    throw new ValidationError("from must be before to", "from", 422);
  }
  return { camera: camera?.toLowerCase(), label, from, to };
}
