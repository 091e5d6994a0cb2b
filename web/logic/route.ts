/**
 * The console's addresses: hash routes (`#/cameras/<id>`), so the box serves one page and a
 * reload or a shared link lands on the same view.
 *
 * @module
 */

/** A parsed address. */
export type Route =
  | { page: "cameras" }
  | { page: "camera"; id: string }
  | { page: "events"; query: URLSearchParams }
  | { page: "event"; id: string }
  | { page: "discovery" }
  | { page: "system" }
  | { page: "not_found"; path: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses `location.hash`.
 *
 * @param hash e.g. `#/cameras/0192...` or `#/events?camera=...`
 * @returns the route (`cameras` for an empty hash)
 * @example
 * ```ts
 * parseRoute("#/events?label=person"); // { page: "events", query: label=person }
 * ```
 */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path = "", search = ""] = raw.split("?", 2);
  const parts = path.split("/").filter((p) => p !== "");
  const [first, second, ...rest] = parts;
  if (rest.length === 0) {
    if (first === undefined || (first === "cameras" && second === undefined)) {
      return { page: "cameras" };
    }
    if (first === "cameras" && second && UUID.test(second)) return { page: "camera", id: second };
    if (first === "events" && second === undefined) {
      return { page: "events", query: new URLSearchParams(search) };
    }
    if (first === "events" && second && UUID.test(second)) return { page: "event", id: second };
    if (first === "discovery" && second === undefined) return { page: "discovery" };
    if (first === "system" && second === undefined) return { page: "system" };
  }
  return { page: "not_found", path };
}

/**
 * The hash of a route's list page with a query.
 *
 * @param page the list page
 * @param query its parameters (empty values dropped)
 * @returns e.g. `#/events?label=person`
 */
export function href(page: "events", query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return `#/${page}${search ? `?${search}` : ""}`;
}
