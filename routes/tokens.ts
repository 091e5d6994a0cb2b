/**
 * Tokens (admin only, whatever the method — see `permissionFor`): `POST /api/tokens`
 * `{"name","role"}` creates one, the secret in the reply only; `GET /api/tokens` lists them
 * without secrets; `DELETE /api/tokens/:id` revokes one (not the last admin token: 409).
 *
 * @module
 */
import { Hono } from "hono";
import type { Database } from "../models/store/database.ts";
import { createToken, listTokens, revokeToken, ROLES } from "../models/auth.ts";
import { ValidationError } from "../models/errors.ts";
import { object, oneOf, readJson, string } from "./validate.ts";

const newToken = object({ name: string({ max: 100 }), role: oneOf(ROLES) });
const TOKEN_ID = /^[a-z0-9]{12}$/;

/**
 * @param db database holding the tokens
 * @returns the sub-app
 */
export function tokenRoutes(db: Database): Hono {
  return new Hono()
    .post("/", async (c) => {
      const body = await readJson(c, newToken);
      const { token, info } = await createToken(db.sql, body.name, body.role);
      return c.json({ ...info, token }, 201);
    })
    .get("/", async (c) => c.json({ items: await listTokens(db.sql), next: null }))
    .delete("/:id", async (c) => {
      const id = c.req.param("id");
      if (!TOKEN_ID.test(id)) throw new ValidationError("id must be a token id", "id", 400);
      await revokeToken(db.sql, id);
      return c.body(null, 204);
    });
}
