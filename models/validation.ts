/**
 * Turns zod's validation issues into one {@linkcode ValidationError} whose message names each bad
 * field by its dotted path ("zones.0.polygon is self-intersecting"). Routes (through the OpenAPI
 * app's hook) and models that validate stored JSON share it, so a field is described the same way
 * wherever it is checked.
 *
 * A schema's own message is written as the end of the sentence "<field> ...", in lower case
 * ("must be a UUID"); zod's default messages start with a capital and are replaced by ours.
 *
 * @module
 */
import { z } from "zod";
import { ValidationError } from "./errors.ts";

/** One zod issue. */
export type Issue = z.core.$ZodIssue;

/** How to word and classify the issues of one input. */
export interface IssueOptions {
  /** 422 for a body, 400 for a query or path parameter. A refinement may override it. */
  status?: number;
  /** What an unknown key is called: "field" (bodies) or "parameter" (queries). */
  noun?: "field" | "parameter";
  /** Put before the message, e.g. "analytics settings: ". */
  prefix?: string;
}

/** Most problems listed in one message; the rest are counted. */
const MAX_LISTED = 3;

/**
 * Joins a path into its dotted form.
 *
 * @param path keys and indexes from the root
 * @returns e.g. "zones.0.polygon", "" for the root
 * @example
 * ```ts
 * dottedPath(["zones", 0, "polygon"]); // "zones.0.polygon"
 * ```
 */
function dottedPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/**
 * Describes each issue as "<path> <problem>", unknown keys first (a typo is the likeliest cause).
 *
 * @param issues zod's issues
 * @param input the value that was validated, to show the bad value and tell "missing" apart
 * @param noun what an unknown key is called
 * @returns one `{ path, message }` per problem
 * @example
 * ```ts
 * describeIssues(schema.safeParse(body).error!.issues, body);
 * // [{ path: "fps", message: "fps must be at most 30: current value is 1000" }]
 * ```
 */
function describeIssues(
  issues: readonly Issue[],
  input: unknown,
  noun: "field" | "parameter" = "field",
): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const unknown = issues.filter((issue) => issue.code === "unrecognized_keys");
  for (const issue of unknown) {
    for (const key of issue.keys) {
      const path = dottedPath([...issue.path, key]);
      out.push({ path, message: `${path} is not a known ${noun}` });
    }
  }
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") continue;
    const path = dottedPath(issue.path);
    const value = valueAt(input, issue.path);
    out.push({ path, message: `${path || "the body"} ${problem(issue, value)}` });
  }
  return out;
}

/**
 * Builds the error for a failed validation.
 *
 * @param issues zod's issues (at least one)
 * @param input the value that was validated
 * @param options status, wording, prefix
 * @returns a ValidationError naming the first bad field, its message listing up to three problems
 * @example
 * ```ts
 * const result = schema.safeParse(body);
 * if (!result.success) throw validationError(result.error.issues, body);
 * ```
 */
export function validationError(
  issues: readonly Issue[],
  input: unknown,
  options: IssueOptions = {},
): ValidationError {
  const described = describeIssues(issues, input, options.noun);
  const listed = described.slice(0, MAX_LISTED).map((d) => d.message);
  if (described.length > MAX_LISTED) listed.push(`${described.length - MAX_LISTED} more problems`);
  const override = issues.map(statusOf).find((status) => status !== undefined);
  return new ValidationError(
    `${options.prefix ?? ""}${listed.join("; ")}`,
    described[0]?.path,
    override ?? options.status ?? 422,
  );
}

/**
 * Parses untrusted data with a schema, throwing a {@linkcode ValidationError} on failure.
 *
 * @param schema the zod schema
 * @param input untrusted data
 * @param options status, wording, prefix
 * @returns the parsed value
 * @throws {ValidationError} naming the bad fields
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: IssueOptions = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error.issues, input, options);
  return result.data;
}

/**
 * A string matching a pattern, with the pattern's source as its JSON Schema `pattern`. Use it for
 * patterns with flags (`u` for `\p{...}`): the document generator would otherwise write the flags
 * into the pattern. JSON Schema validators compile patterns as Unicode regular expressions.
 *
 * @param pattern what the whole string must match (its flags apply when validating here)
 * @param message completes "<field> ...", e.g. "must be 1 to 64 printable characters"
 * @returns the schema
 * @example
 * ```ts
 * const Label = patterned(/^[^\p{C}]{1,64}$/u, "must be 1 to 64 printable characters");
 * ```
 */
export function patterned(pattern: RegExp, message: string) {
  return z.string({ error: "must be a string" }).regex(pattern, message).meta({
    pattern: pattern.source,
  });
}

/** The status a refinement asks for with `params: { status }`. */
function statusOf(issue: Issue): number | undefined {
  if (issue.code !== "custom") return undefined;
  const status: unknown = issue.params?.status;
  return typeof status === "number" ? status : undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const NOUNS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a JSON object",
  array: "an array",
  tuple: "an array",
  null: "null",
};

function problem(issue: Issue, value: unknown): string {
  // A schema's own message completes the sentence; zod's defaults are capitalized.
  if (/^[a-z]/.test(issue.message)) return withValue(issue.message, issue, value);
  switch (issue.code) {
    case "invalid_type":
      return withValue(`must be ${NOUNS[issue.expected] ?? issue.expected}`, issue, value);
    case "too_small":
    case "too_big":
      return withValue(bound(issue), issue, value);
    case "invalid_value":
      return withValue(`must be one of ${issue.values.map(String).join(", ")}`, issue, value);
    case "invalid_format":
      return withValue(
        issue.format === "regex"
          ? `must match ${issue.pattern}`
          : `must be a valid ${issue.format}`,
        issue,
        value,
      );
    case "not_multiple_of":
      return withValue(`must be a multiple of ${issue.divisor}`, issue, value);
    case "invalid_union":
      return withValue("does not match any of its allowed forms", issue, value);
    default:
      return withValue("is not valid", issue, value);
  }
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const limit = small ? issue.minimum : issue.maximum;
  const word = small ? "least" : "most";
  switch (issue.origin) {
    case "string":
      return `must be at ${word} ${plural(limit, "character")} long`;
    case "array":
    case "set":
      return `must hold at ${word} ${plural(limit, "item")}`;
    default:
      if (issue.inclusive === false) return `must be ${small ? "more" : "less"} than ${limit}`;
      return `must be at ${word} ${limit}`;
  }
}

function plural(count: number | bigint, noun: string): string {
  return `${count} ${noun}${count === 1 || count === 1n ? "" : "s"}`;
}

/**
 * Adds the current value when it is a number, boolean or null. Strings are never echoed: they may
 * be passwords or URLs holding a token, and error messages end up in logs.
 */
function withValue(text: string, issue: Issue, value: unknown): string {
  if (issue.code === "invalid_type" && value === undefined) {
    return `${text}: current value is missing`;
  }
  if (issue.code === "custom") return text;
  const shown = typeof value === "number" || typeof value === "boolean" || value === null;
  return shown ? `${text}: current value is ${String(value)}` : text;
}
