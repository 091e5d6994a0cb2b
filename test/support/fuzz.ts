/**
 * Building blocks of the route fuzzer (test/routes/fuzz_test.ts): fast-check arbitraries for the
 * parts of an HTTP request — ids, query strings, headers, bodies (random JSON, mutated valid
 * bodies, malformed and oversized ones) — and a fingerprint of everything a request can store.
 *
 * @module
 */
import fc from "fast-check";
import type postgres from "postgres";

/** One generated request. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

/** Strings that have broken parsers before: encodings, traversal, control and odd Unicode. */
const NASTY = [
  "",
  " ",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "%",
  "%00",
  "%zz",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "../../etc/passwd",
  "a\u0000b",
  "\u202e\u0000\ud800",
  "\ufeff",
  "ＡＢＣ",
  "💥".repeat(50),
  "'; drop table cameras; --",
  "$(reboot)",
  "<script>",
  "__proto__",
  "constructor",
  "rtsp://127.0.0.1:9/s",
  "-i /etc/passwd",
  "2026-11-25T14:00:00Z",
  "2026-13-45T99:99:99Z",
  "999999999999999999999999",
];

/** A string from anywhere: random, Unicode, nasty, or very long. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ minLength: 3000, maxLength: 5000 }) },
);

/**
 * Ids for a path: known ones (so validation passes and the handler runs), valid but unknown
 * UUIDs, near-UUIDs and anything else.
 *
 * @param known ids that exist (read lazily: they change while fuzzing)
 * @returns the arbitrary
 */
export function idArb(known: () => readonly string[]): fc.Arbitrary<string> {
  // The fallback comes from the seed too, so VIGIL_FUZZ_SEED replays a run exactly.
  const existing = fc.tuple(fc.nat(), fc.uuid()).map(([n, fallback]) => {
    const ids = known();
    return ids.length === 0 ? fallback : ids[n % ids.length]!;
  });
  return fc.oneof(
    { weight: 4, arbitrary: existing },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: existing.map((id) => id.toUpperCase()) },
    { weight: 1, arbitrary: existing.map((id) => `${id}x`) },
    { weight: 1, arbitrary: existing.map((id) => id.slice(1)) },
    { weight: 2, arbitrary: anyString },
  );
}

/** A JSON value with room for the odd cases: big numbers, nesting, prototype keys. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    { __proto__: { admin: true } },
    { constructor: { prototype: { x: 1 } } },
    1e308,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    [[[[[[[[[[]]]]]]]]]],
  ),
  anyString,
);

/**
 * Mutations of a valid body: a field removed, a field replaced by anything, a field added, the
 * value of a nested field replaced — what a careless or hostile client sends.
 *
 * @param valid valid bodies of the route
 * @returns the arbitrary (valid bodies included, so handlers run)
 */
export function mutatedBody(valid: readonly Record<string, unknown>[]): fc.Arbitrary<unknown> {
  const base = fc.constantFrom(...valid).map((body) => structuredClone(body));
  return fc.oneof(
    { weight: 2, arbitrary: base },
    {
      weight: 3,
      arbitrary: fc.tuple(base, fc.nat(), anyJson).map(([body, n, value]) => {
        const keys = Object.keys(body);
        if (keys.length > 0) body[keys[n % keys.length]!] = value;
        return body;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(base, fc.nat()).map(([body, n]) => {
        const keys = Object.keys(body);
        if (keys.length > 0) delete body[keys[n % keys.length]!];
        return body;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(base, anyString, anyJson).map(([body, key, value]) => ({
        ...body,
        [key]: value,
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(base, fc.nat(), anyJson).map(([b, n, v]) => deepSet(b, n, v)),
    },
  );
}

/** Replaces one value somewhere inside `value` (the n-th, walking depth first). */
function deepSet(value: Record<string, unknown>, n: number, replacement: unknown): unknown {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        slots.push([node, i]);
        walk(child);
      });
    } else if (typeof node === "object" && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        slots.push([node as Record<string, unknown>, key]);
        walk(child);
      }
    }
  };
  walk(value);
  if (slots.length === 0) return value;
  const [parent, key] = slots[n % slots.length]!;
  (parent as Record<string | number, unknown>)[key] = replacement;
  return value;
}

/** A body more than the 1 MiB limit, built once. */
const OVERSIZED = JSON.stringify({ name: "x".repeat(1_100_000) });
/** Nesting deep enough to exhaust a recursive parser's stack. */
const DEEP = "[".repeat(200_000) + "]".repeat(200_000);

/**
 * Request bodies: JSON of a mutated valid body or of anything, malformed JSON, invalid UTF-8,
 * deep nesting, oversized, or none.
 *
 * @param valid valid bodies of the route (empty: the route takes none)
 * @returns the arbitrary
 */
export function bodyArb(
  valid: readonly Record<string, unknown>[],
): fc.Arbitrary<string | Uint8Array | undefined> {
  const json = valid.length > 0 ? mutatedBody(valid) : anyJson;
  return fc.oneof(
    { weight: 12, arbitrary: json.map((value) => JSON.stringify(value) ?? "null") },
    { weight: 2, arbitrary: anyJson.map((value) => JSON.stringify(value) ?? "null") },
    { weight: 1, arbitrary: fc.string({ maxLength: 50 }).map((s) => `{"name": ${s}`) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.constantFrom(OVERSIZED, DEEP, "", "{}", "[]", "null", '"x"') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/**
 * Query strings: the route's parameters with valid-looking or hostile values, repeated keys and
 * unknown keys.
 *
 * @param names the documented parameters
 * @param values plausible values per parameter
 * @returns `?...` or `""`
 */
export function queryArb(
  names: readonly string[],
  values: Readonly<Record<string, readonly string[]>>,
): fc.Arbitrary<string> {
  if (names.length === 0) {
    return fc.oneof(fc.constant(""), anyString.map((s) => `?${encode(s)}=1`));
  }
  const value = (name: string) => {
    const plausible = values[name] ?? [];
    if (plausible.length === 0) return anyString;
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...plausible) }, {
      weight: 2,
      arbitrary: anyString,
    });
  };
  const pair = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names).chain((n) => value(n).map((v) => [n, v])) },
    { weight: 1, arbitrary: fc.tuple(anyString, anyString) },
  );
  return fc.array(pair, { maxLength: 5 }).map((pairs) => {
    if (pairs.length === 0) return "";
    const raw = pairs.map(([k, v]) => `${encode(k!)}=${encode(v!)}`);
    return `?${raw.join("&")}`;
  });
}

/**
 * Headers: mostly a valid admin token and JSON, sometimes another role, a broken or missing
 * token, another content type, or junk headers.
 *
 * @param tokens a token of each role
 * @returns the arbitrary
 */
export function headersArb(
  tokens: { admin: string; viewer: string; media: string },
): fc.Arbitrary<Record<string, string>> {
  const authorization = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${tokens.admin}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${tokens.viewer}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${tokens.media}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "Bearer",
        "Bearer ",
        `bearer ${tokens.admin}`,
        `Bearer ${tokens.admin}x`,
        `Bearer ${tokens.admin.slice(0, -1)}`,
        `Basic ${btoa("admin:admin")}`,
        `Bearer ${"A".repeat(10_000)}`,
      ),
    },
    { weight: 1, arbitrary: anyString.map((s) => `Bearer ${headerSafe(s)}`) },
  );
  const contentType = fc.oneof(
    { weight: 10, arbitrary: fc.constant("application/json") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "application/json; charset=utf-8",
        "application/json; charset=latin1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/problem+json",
        "",
        "*/*",
      ),
    },
  );
  return fc.record({
    authorization,
    contentType,
    extra: fc.option(fc.tuple(fc.constantFrom("x-forwarded-for", "accept", "origin"), anyString)),
  }).map(({ authorization, contentType, extra }) => {
    const headers: Record<string, string> = {};
    if (authorization !== "") headers.authorization = authorization;
    if (contentType !== "") headers["content-type"] = contentType;
    if (extra) headers[extra[0]] = headerSafe(extra[1]);
    return headers;
  });
}

/**
 * Percent-encodes a string for a URL; a lone surrogate (which `encodeURIComponent` refuses) is
 * sent as U+FFFD, as a browser would.
 *
 * @param value any string
 * @returns the encoded string
 */
export function encode(value: string): string {
  return encodeURIComponent(value.toWellFormed());
}

/** What a header value can carry on the wire: visible Latin-1 (no CR, LF or NUL). */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, "");
}

/**
 * Everything a request can store: cameras (all their columns), tokens (not their last use),
 * compile jobs and which events are kept — as one hash, to check a refused request changed
 * nothing. Other event fields and detections are left out: no route writes them, and an attached
 * camera's analysis writes them in the background.
 *
 * @param sql the database
 * @returns the fingerprint
 */
export async function storedState(sql: postgres.Sql): Promise<string> {
  const [row] = await sql<{ state: string }[]>`
    select md5(concat_ws('|',
      (select string_agg(c::text, ',' order by c.id) from cameras c),
      (select string_agg(concat_ws(':', id, name, role, secret_sha256), ',' order by id)
       from tokens),
      (select string_agg(concat_ws(':', id, status), ',' order by id) from records),
      (select string_agg(id::text, ',' order by id) from events where keep))) as state`;
  return row!.state;
}
