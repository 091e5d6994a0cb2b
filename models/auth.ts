/**
 * API tokens and roles. A token reads `vgl_<id>_<secret>`: the id finds the row, and only the
 * SHA-256 of the secret is stored, compared in constant time, so neither a database dump nor a
 * timing side channel gives a usable token.
 *
 * A viewer or media token may be limited to some cameras (`cameras`): it must not list, read,
 * snapshot, stream or follow events of any other. {@linkcode tokenMaySee} is the one rule every
 * consumer applies (the API's middleware and routes, the RTSP relay).
 *
 * @module
 */
import type postgres from "postgres";
import { join } from "node:path";
import { timingSafeEqual } from "node:crypto";
import { ConflictError, NotFoundError, ValidationError } from "./errors.ts";

/** What a token may do. */
export const ROLES = ["admin", "viewer", "media", "metrics"] as const;
/** One of {@linkcode ROLES}. */
export type Role = typeof ROLES[number];

/**
 * The permission a route needs. `playback`: reading recordings (the timeline, clips), which
 * viewers and the media server both need. `self`: reading one's own token (`GET /api/me`).
 */
export type Permission =
  | "read"
  | "write"
  | "live"
  | "dispatch"
  | "playback"
  | "metrics"
  | "self";

/** Every role may read `/metrics`; the `metrics` role (a Prometheus scraper) may read only that. */
const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ["read", "write", "live", "dispatch", "playback", "metrics", "self"],
  // Viewers watch live through the dispatcher like the media server does (issue 14).
  viewer: ["read", "live", "dispatch", "playback", "metrics", "self"],
  media: ["live", "dispatch", "playback", "metrics", "self"],
  metrics: ["metrics", "self"],
};

/**
 * Tells whether a role holds a permission.
 *
 * @param role the token's role
 * @param permission what the route needs
 * @returns true when allowed
 */
export function allows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** A token as listed by the API (never with its secret). */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  /** The cameras it may see; null for every camera. */
  cameras: string[] | null;
  createdAt: string;
  /**
   * When it last opened a request (to the minute), null if never: a token in use that should
   * not be is how a leak shows.
   */
  lastUsedAt: string | null;
}

/** `last_used_at` is written at most this often per token, so requests do not each write. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Most cameras one token may name. */
export const MAX_TOKEN_CAMERAS = 1000;

/**
 * Whether a token may see a camera: list it, read it, its snapshots, streams, events and
 * detections. A token without a camera list sees every camera.
 *
 * @param token the token's info (only `cameras` is read)
 * @param cameraId a camera id (any case)
 * @returns true when the camera is in the token's scope
 * @example
 * ```ts
 * tokenMaySee({ cameras: null }, id); // true
 * tokenMaySee({ cameras: [a] }, b); // false
 * ```
 */
export function tokenMaySee(token: Pick<TokenInfo, "cameras">, cameraId: string): boolean {
  return token.cameras === null || token.cameras.includes(cameraId.toLowerCase());
}

/**
 * The camera filter of a listing for a token: the asked-for camera when the token may see it,
 * else the token's cameras.
 *
 * @param token the token's info (only `cameras` is read)
 * @param camera the camera the request filters on, if any
 * @returns `{camera}` / `{cameras}` to filter on, `{}` for no filter, or `"none"` when the request
 *   names a camera the token may not see (the answer is empty)
 * @example
 * ```ts
 * cameraFilter({ cameras: [a, b] }, undefined); // { cameras: [a, b] }
 * cameraFilter({ cameras: [a] }, c); // "none"
 * ```
 */
export function cameraFilter(
  token: Pick<TokenInfo, "cameras">,
  camera: string | undefined,
): { camera?: string; cameras?: string[] } | "none" {
  if (camera !== undefined) return tokenMaySee(token, camera) ? { camera } : "none";
  return token.cameras === null ? {} : { cameras: token.cameras };
}

/** The rights of a request when authentication is off: an admin of every camera. */
export const UNLIMITED: TokenInfo = {
  id: "",
  name: "authentication off",
  role: "admin",
  cameras: null,
  createdAt: new Date(0).toISOString(),
  lastUsedAt: null,
};

const TOKEN = /^vgl_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

function randomBase64Url(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return raw.toBase64({ alphabet: "base64url", omitPadding: true });
}

function randomId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => alphabet[b % 36]).join("");
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return new Uint8Array(digest).toHex();
}

/**
 * Compares two strings in time independent of where they differ (node:crypto's
 * `timingSafeEqual`). Only the length may show, and the digests compared here all have one.
 *
 * @returns true when equal
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Creates a token and stores its hash.
 *
 * @param sql database
 * @param name a label for humans
 * @param role what it may do
 * @param cameras the cameras it may see (viewer and media only); absent for every camera
 * @returns the token (shown once) and its public info
 * @throws {ValidationError} naming `cameras` or `cameras.N` for an admin or metrics token with
 *   cameras, an empty or oversized list, or an id that is not a camera
 */
export async function createToken(
  sql: postgres.Sql,
  name: string,
  role: Role,
  cameras?: readonly string[],
): Promise<{ token: string; info: TokenInfo }> {
  const scope = cameras === undefined ? null : [...new Set(cameras.map((c) => c.toLowerCase()))];
  if (scope !== null) {
    if (role === "admin") {
      throw new ValidationError(
        "cameras must be left out for an admin: admins see every camera",
        "cameras",
      );
    }
    if (role === "metrics") {
      // /metrics is the whole box's numbers, closed to tokens limited to some cameras.
      throw new ValidationError(
        "cameras must be left out for a metrics token: /metrics covers every camera",
        "cameras",
      );
    }
    if (scope.length === 0 || scope.length > MAX_TOKEN_CAMERAS) {
      throw new ValidationError(`cameras must name 1 to ${MAX_TOKEN_CAMERAS} cameras`, "cameras");
    }
  }
  const id = randomId();
  const secret = randomBase64Url(32);
  const row = await sql.begin(async (tx) => {
    if (scope !== null) {
      // Locked so a camera cannot vanish between the check and the insert unnoticed.
      const found = await tx<{ id: string }[]>`
        select id from cameras where id = any(${scope}::uuid[]) for share`;
      const known = new Set(found.map((r) => r.id));
      const missing = scope.findIndex((camera) => !known.has(camera));
      if (missing >= 0) {
        throw new ValidationError(`cameras.${missing} is not a camera`, `cameras.${missing}`);
      }
    }
    const [inserted] = await tx<{ created_at: Date }[]>`
      insert into tokens (id, name, role, secret_sha256, cameras)
      values (${id}, ${name}, ${role}, ${await sha256Hex(secret)}, ${scope}::uuid[])
      returning created_at`;
    return inserted;
  });
  return {
    token: `vgl_${id}_${secret}`,
    info: {
      id,
      name,
      role,
      cameras: scope,
      createdAt: (row?.created_at ?? new Date()).toISOString(),
      lastUsedAt: null,
    },
  };
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  cameras: string[] | null;
  created_at: Date;
  last_used_at: Date | null;
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    cameras: row.cameras,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

/**
 * Lists tokens (never their secrets), oldest first.
 *
 * @param sql database
 * @returns every token's public info
 */
export async function listTokens(sql: postgres.Sql): Promise<TokenInfo[]> {
  const rows = await sql<TokenRow[]>`
    select id, name, role, cameras::text[] as cameras, created_at, last_used_at from tokens
    order by created_at, id`;
  return rows.map(toInfo);
}

/**
 * Revokes a token. The last admin token cannot be revoked: nobody could administer the box.
 *
 * @param sql database
 * @param id the token's id (the part after `vgl_`)
 * @throws {NotFoundError} for an unknown id
 * @throws {ConflictError} for the last admin token
 */
export async function revokeToken(sql: postgres.Sql, id: string): Promise<void> {
  await sql.begin(async (tx) => {
    // Serializes revocations, so two concurrent ones cannot both remove "the other" last admin.
    await tx`lock table tokens in share row exclusive mode`;
    const [row] = await tx<{ role: Role }[]>`select role from tokens where id = ${id}`;
    if (!row) throw new NotFoundError(`token ${id}`);
    if (row.role === "admin") {
      const [admins] = await tx<{ n: number }[]>`
        select count(*)::int as n from tokens where role = 'admin'`;
      if ((admins?.n ?? 0) <= 1) throw new ConflictError("the last admin token cannot be revoked");
    }
    await tx`delete from tokens where id = ${id}`;
  });
}

/**
 * Resolves a bearer token to what it may do — its role and cameras — and notes when it was used
 * (at most once a minute).
 *
 * @param sql database
 * @param token the presented token
 * @returns the token's info, or undefined when the token is unknown or wrong
 */
export async function verifyToken(
  sql: postgres.Sql,
  token: string,
): Promise<TokenInfo | undefined> {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const rows = await sql<(TokenRow & { secret_sha256: string; stale: boolean })[]>`
    select id, name, role, cameras::text[] as cameras, created_at, last_used_at, secret_sha256,
           coalesce(last_used_at < now() - ${LAST_USED_RESOLUTION_MS} * interval '1 millisecond',
                    true) as stale
    from tokens where id = ${id}`;
  // Hash even when the id is unknown so both paths cost the same.
  const presented = await sha256Hex(secret);
  const row = rows[0];
  if (!row || !constantTimeEqual(presented, row.secret_sha256)) return undefined;
  if (row.stale) await sql`update tokens set last_used_at = now() where id = ${id}`;
  return toInfo(row);
}

/**
 * Whether a token still exists (was not revoked): what a stream opened with it re-checks, so a
 * revocation also cuts off the feeds and relay sessions the token already holds.
 *
 * @param sql database
 * @param id the token's public id
 * @returns true while the token exists
 * @example
 * ```ts
 * if (!(await tokenExists(sql, token.id))) stream.abort();
 * ```
 */
export async function tokenExists(sql: postgres.Sql, id: string): Promise<boolean> {
  const rows = await sql`select 1 from tokens where id = ${id}`;
  return rows.length > 0;
}

/**
 * At first start with auth on: creates an admin token, writes it to `$dataDir/admin-token` (mode
 * 0600) and returns it so the caller logs it once. Later starts find an admin and do nothing.
 *
 * @param sql database
 * @param dataDir Vigil's data directory
 * @returns the new token, or undefined when an admin token already exists
 */
export async function ensureAdminToken(
  sql: postgres.Sql,
  dataDir: string,
): Promise<string | undefined> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from tokens
                                            where role = 'admin'`;
  if ((row?.n ?? 0) > 0) return undefined;
  const { token } = await createToken(sql, "initial admin", "admin");
  const path = join(dataDir, "admin-token");
  await Deno.writeTextFile(path, token + "\n", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return token;
}
