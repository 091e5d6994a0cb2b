/**
 * `POST /api/tokens` (admin): creates an API token; the secret is in the reply only.
 *
 * @module
 */
import { Hono } from "hono";
import type { Database } from "../models/store/database.ts";
import { createToken, ROLES } from "../models/auth.ts";
import { object, oneOf, readJson, string } from "./validate.ts";

const newToken = object({ name: string({ max: 100 }), role: oneOf(ROLES) });

/**
 * @param db database holding the tokens
 * @returns the sub-app
 */
export function tokenRoutes(db: Database): Hono {
  return new Hono().post("/", async (c) => {
    const body = await readJson(c, newToken);
    const { token, info } = await createToken(db.sql, body.name, body.role);
    return c.json({ ...info, token }, 201);
  });
}
