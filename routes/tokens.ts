/**
 * Tokens (admin only, whatever the method — see `permissionFor`): `POST /api/tokens`
 * `{"name","role"}` creates one, the secret in the reply only; `GET /api/tokens` lists them
 * without secrets; `DELETE /api/tokens/{id}` revokes one (not the last admin token: 409).
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Database } from "../models/store/database.ts";
import { createToken, listTokens, revokeToken, ROLES } from "../models/auth.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { Instant, pageOf } from "./schemas.ts";

const TokenId = z.string()
  .regex(/^[a-z0-9]{12}$/, "must be a token id")
  .openapi({ example: "k3v9q0x2m7ab", description: "The part between `vgl_` and the secret" });

const NewToken = z.strictObject({
  name: z.string().min(1).max(100).openapi({ example: "media server" }),
  role: z.enum(ROLES),
}).openapi("NewToken");

const TokenInfo = z.object({
  id: TokenId,
  name: z.string(),
  role: z.enum(ROLES),
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
  responses: { 201: jsonReply(CreatedToken, "The token; its secret is never shown again") },
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
      const { token, info } = await createToken(db.sql, body.name, body.role);
      return c.json({ ...info, token }, 201);
    })
    .openapi(list, async (c) => c.json({ items: await listTokens(db.sql), next: null }, 200))
    .openapi(revoke, async (c) => {
      await revokeToken(db.sql, c.req.valid("param").id);
      return c.body(null, 204);
    });
}
