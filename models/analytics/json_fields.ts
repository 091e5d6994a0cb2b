/**
 * Readers for fields of untrusted JSON (request bodies, stored settings). Each takes the dotted
 * path of the value it reads and throws a {@link ValidationError} (422) naming that path, so a
 * caller learns exactly which field is wrong ("zones.0.polygon.2.1 must be a number from 0 to 1").
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** A JSON object whose fields have not been checked yet. */
export type Fields = Record<string, unknown>;

/** Bounds for {@link readNumber}. */
export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
}

/**
 * Joins a parent path and a key or index.
 *
 * @param parent the parent's path, `""` at the root
 * @param key a field name or array index
 * @returns the dotted path
 * @example
 * ```ts
 * fieldPath("zones", 0); // "zones.0"
 * fieldPath("", "fps"); // "fps"
 * ```
 */
export function fieldPath(parent: string, key: string | number): string {
  return parent === "" ? String(key) : `${parent}.${key}`;
}

/**
 * Builds the error for a bad field.
 *
 * @param path the field's dotted path
 * @param problem what is wrong, completing the sentence "<path> ..."
 * @returns a 422 ValidationError naming the field
 * @example
 * ```ts
 * throw invalidField("fps", "must be a number from 1 to 30: current value is 0");
 * ```
 */
export function invalidField(path: string, problem: string): ValidationError {
  return new ValidationError(`analytics settings: ${path || "the body"} ${problem}`, path);
}

/**
 * Checks that a value is a plain object holding only known fields.
 *
 * @param value the untrusted value
 * @param path its dotted path (`""` for the root)
 * @param known the field names allowed
 * @returns the object, fields still unchecked
 * @throws {ValidationError} if it is not an object, or names the first unknown field
 * @example
 * ```ts
 * readObject({ fps: 5 }, "", ["fps", "zones"]); // { fps: 5 }
 * ```
 */
export function readObject(value: unknown, path: string, known: readonly string[]): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidField(path, "must be an object");
  }
  const fields = value as Fields;
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) {
      throw invalidField(fieldPath(path, key), `is not a known field (known: ${known.join(", ")})`);
    }
  }
  return fields;
}

/**
 * Checks that a value is an array within a length range.
 *
 * @param value the untrusted value
 * @param path its dotted path
 * @param min fewest items
 * @param max most items
 * @returns the array, items still unchecked
 * @throws {ValidationError} if it is not an array or its length is out of range
 * @example
 * ```ts
 * readArray([[0, 0], [1, 0], [0, 1]], "zones.0.polygon", 3, 64);
 * ```
 */
export function readArray(value: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalidField(path, "must be an array");
  if (value.length < min || value.length > max) {
    throw invalidField(
      path,
      `must hold ${min} to ${max} items: current length is ${value.length}`,
    );
  }
  return value;
}

/**
 * Checks a number against bounds.
 *
 * @param value the untrusted value
 * @param path its dotted path
 * @param rule the inclusive bounds and whether it must be an integer
 * @returns the number
 * @throws {ValidationError} naming the field, the range and the current value
 * @example
 * ```ts
 * readNumber(5, "fps", { min: 1, max: 30 }); // 5
 * ```
 */
export function readNumber(value: unknown, path: string, rule: NumberRule): number {
  const ok = typeof value === "number" && Number.isFinite(value) && value >= rule.min &&
    value <= rule.max && (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const kind = rule.integer ? "an integer" : "a number";
    throw invalidField(
      path,
      `must be ${kind} from ${rule.min} to ${rule.max}: current value is ${show(value)}`,
    );
  }
  return value as number;
}

/**
 * Checks a string against a pattern.
 *
 * @param value the untrusted value
 * @param path its dotted path
 * @param pattern what the whole string must match
 * @param expected how to describe a good value in the message
 * @returns the string
 * @throws {ValidationError} naming the field and the expectation
 * @example
 * ```ts
 * readString("door", "zones.0.name", /^[a-z]+$/, "lowercase letters"); // "door"
 * ```
 */
export function readString(
  value: unknown,
  path: string,
  pattern: RegExp,
  expected: string,
): string {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw invalidField(path, `must be ${expected}: current value is ${show(value)}`);
  }
  return value;
}

/**
 * Checks that a value is one of a set of strings.
 *
 * @param value the untrusted value
 * @param path its dotted path
 * @param choices the allowed strings
 * @param what how to call the set in the message ("a known label")
 * @returns the value, typed as one of the choices
 * @throws {ValidationError} naming the field and the bad value
 * @example
 * ```ts
 * readChoice("car", "classes.0", ["person", "car"], "a known label"); // "car"
 * ```
 */
export function readChoice<T extends string>(
  value: unknown,
  path: string,
  choices: readonly T[],
  what: string,
): T {
  const found = choices.find((choice) => choice === value);
  if (found === undefined) {
    const listed = choices.length <= 12
      ? ` (${choices.join(", ")})`
      : ` (${choices.slice(0, 12).join(", ")}, ...)`;
    throw invalidField(path, `must be ${what}${listed}: current value is ${show(value)}`);
  }
  return found;
}

function show(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
