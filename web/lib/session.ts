/// <reference lib="dom" />
/**
 * Who is signed in: the token lives in `sessionStorage` (this tab only, gone when it closes; never
 * a cookie), and its role comes from `GET /api/me`.
 *
 * @module
 */
import { createApi } from "./api.ts";
import type { Me, Role } from "./types.ts";

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
 * Finds the role of a token from `GET /api/me`, which every role may read.
 *
 * @param token the token to try
 * @returns its role
 * @throws {ApiError} 401 when the box refuses the token, or the network failure
 */
export async function detectRole(token: string): Promise<Role> {
  const me = await createApi(token, () => {}).get<Me>("/api/me");
  return me.role;
}
