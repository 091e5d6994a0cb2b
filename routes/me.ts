/**
 * `GET /api/me`: who the request's token is — its name, role and camera scope — so a client (the
 * console) learns what it may do in one call instead of probing routes. Every role may ask.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ROLES } from "../models/auth.ts";
import { requestToken } from "./shared/access.ts";
import { apiApp, jsonReply } from "./openapi.ts";
import { UuidOut } from "./schemas.ts";

const Me = z.object({
  name: z.string().openapi({ description: "The token's name (`authentication off` when it is)" }),
  role: z.enum(ROLES),
  cameras: z.array(UuidOut).nullable().openapi({
    description: "The cameras the token may see; null for every camera",
  }),
}).openapi("Me", { example: { name: "hall display", role: "viewer", cameras: null } });

const me = createRoute({
  method: "get",
  path: "/",
  summary: "The token of this request: name, role, camera scope",
  tags: ["tokens"],
  responses: { 200: jsonReply(Me, "Who the token is") },
});

/** @returns the sub-app, mounted at `/api/me` */
export function meRoutes() {
  return apiApp().openapi(me, (c) => {
    const { name, role, cameras } = requestToken(c);
    return c.json({ name, role, cameras }, 200);
  });
}
