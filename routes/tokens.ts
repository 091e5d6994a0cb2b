/**
 * Tokens (admin only, whatever the method — see `permissionFor`): `POST /api/tokens`
 * `{"name","role","cameras"?}` creates one, the secret in the reply only (`cameras` limits a
 * viewer or media token to those cameras: models/auth.ts `tokenMaySee`); `GET /api/tokens` lists
 * them without secrets; `DELETE /api/tokens/{id}` revokes one (not the last admin token: 409).
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Database } from "../models/store/database.ts";
import { createToken, listTokens, MAX_TOKEN_CAMERAS, revokeToken, ROLES } from "../models/auth.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { Instant, pageOf, Uuid, UuidOut } from "./schemas.ts";

const TokenId = z.string()
  .regex(/^[a-z0-9]{12}$/, "must be a token id")
  .openapi({ example: "k3v9q0x2m7ab", description: "The part between `vgl_` and the secret" });

const NewToken = z.strictObject({
  name: z.string().min(1).max(100)
    // PostgreSQL refuses a NUL in text (found by the route fuzzer: 500); names are for people.
    // `*`: an empty name is min(1)'s to refuse, with one message rather than two.
    // deno-lint-ignore no-control-regex -- refusing control characters is the point
    .regex(/^[^\x00-\x1f\x7f]*$/, "must be printable text")
    .openapi({ example: "media server" }),
  role: z.enum(ROLES),
  cameras: z.array(Uuid).min(1).max(MAX_TOKEN_CAMERAS).optional().openapi({
    description: "Limits a viewer or media token to these cameras: it cannot list, read, " +
      "snapshot, stream or follow events of any other. Left out: every camera. Not for admins.",
  }),
}).openapi("NewToken");

const TokenInfo = z.object({
  id: TokenId,
  name: z.string(),
  role: z.enum(ROLES),
  cameras: z.array(UuidOut).nullable().openapi({
    description: "The cameras it may see; null for every camera",
  }),
  createdAt: Instant,
  lastUsedAt: Instant.nullable().openapi({
    description: "When it last opened a request (to the minute); null if never",
  }),
}).openapi("Token");

const CreatedToken = TokenInfo.extend({
  token: z.string().openapi({
    description: "The bearer token, shown only in this reply",
    example: "vgl_k3v9q0x2m7ab_" + "x".repeat(43),
  }),
}).openapi("CreatedToken");

const tags = ["tokens"];

const create = createRoute({
  method: "post",
  path: "/",
  summary: "Create a token",
  tags,
  request: { body: jsonBody(NewToken) },
  responses: {
    201: jsonReply(CreatedToken, "The token; its secret is never shown again"),
    ...errorReplies({
      422: "A field is wrong, or `cameras` names no camera or is given an admin or metrics token",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "List tokens (without secrets)",
  tags,
  responses: { 200: jsonReply(pageOf(TokenInfo).openapi("TokenPage"), "Every token") },
});

const revoke = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Revoke a token",
  tags,
  request: { params: z.object({ id: TokenId.openapi({ param: { name: "id", in: "path" } }) }) },
  responses: {
    204: { description: "Revoked" },
    ...errorReplies({ 404: "No such token", 409: "The last admin token cannot be revoked" }),
  },
});

/**
 * @param db database holding the tokens
 * @returns the sub-app
 */
export function tokenRoutes(db: Database) {
  return apiApp()
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      const { token, info } = await createToken(db.sql, body.name, body.role, body.cameras);
      return c.json({ ...info, token }, 201);
    })
    .openapi(list, async (c) => c.json({ items: await listTokens(db.sql), next: null }, 200))
    .openapi(revoke, async (c) => {
      await revokeToken(db.sql, c.req.valid("param").id);
      return c.body(null, 204);
    });
}
