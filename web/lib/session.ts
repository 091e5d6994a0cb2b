/// <reference lib="dom" />
/**
 * Who is signed in: the token lives in `sessionStorage` (this tab only, gone when it closes; never
 * a cookie), and the role is found by asking the API what the token may do — the API has no
 * "who am I" route, and trying is exact: `GET /api/tokens` is for admins only, `GET /api/cameras`
 * for readers.
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
 * Finds the role of a token.
 *
 * @param token the token to try
 * @returns its role
 * @throws {ApiError} 401 when the box refuses the token, or the network failure
 */
export async function detectRole(token: string): Promise<Role> {
  const api = createApi(token, () => {});
  const allowed = async (path: string) => {
    try {
      await api.get(path);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) return false;
      throw error;
    }
  };
  if (await allowed("/api/tokens")) return "admin";
  if (await allowed("/api/cameras?limit=1")) return "viewer";
  return "media";
}
