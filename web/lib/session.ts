/// <reference lib="dom" />
/**
 * Who is signed in: the token lives in `sessionStorage` (this tab only, gone when it closes; never
 * a cookie), and the role is found by asking the API what the token may do — the API has no
 * "who am I" route, and trying is exact because each role holds a permission the next one lacks
 * (models/auth.ts): `GET /api/tokens` is for admins only, `GET /api/cameras` for readers,
 * `GET /api/live` for live viewing, and `/metrics` for every role, so a token that reaches only
 * it is a metrics token. The probes are ones a token limited to some cameras may use too.
 *
 * @module
 */
import { ApiError, createApi } from "./api.ts";
import type { Role } from "./types.ts";

const KEY = "vigil.token";

/** The stored token, if any. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** Keeps the token for this tab. */
export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

/** Forgets the token. */
export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * Each role with a request only it and the roles above it may make, strongest first (tried in
 * this order). Keyed by the API's role type: a role added to the API fails the type check here.
 */
const PROBES: Record<Role, string> = {
  admin: "/api/tokens",
  viewer: "/api/cameras?limit=1",
  media: "/api/live",
  metrics: "/metrics",
};

/**
 * Finds the role of a token.
 *
 * @param token the token to try
 * @returns its role
 * @throws {ApiError} 401 when the box refuses the token, 403 when it may do none of the probes
 *   (a metrics token limited to cameras: /metrics is closed to those), or the network failure
 */
export async function detectRole(token: string): Promise<Role> {
  const api = createApi(token, () => {});
  const allowed = async (path: string) => {
    try {
      // A blob, not JSON: /metrics answers text.
      await api.blob(path);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) return false;
      throw error;
    }
  };
  for (const [role, path] of Object.entries(PROBES) as [Role, string][]) {
    if (await allowed(path)) return role;
  }
  throw new ApiError(403, "forbidden", "The box accepts this token, but it may read nothing here.");
}
