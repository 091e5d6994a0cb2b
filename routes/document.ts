/**
 * The API's contract: `GET /api/openapi.json`, the OpenAPI 3.1 document generated from the same
 * zod schemas that validate requests, and finished with what every operation shares (roles,
 * error replies; see routes/openapi.ts). Built once, on first request, after every route is
 * mounted.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { apiApp, BEARER, CLUSTER_SCHEME, finishDocument, jsonReply, PUBLIC } from "./openapi.ts";

/** What the document says about the API as a whole. */
const API_INFO = {
  title: "Vigil",
  version: "1",
  description: "Edge video analytics: cameras, capture, detection, events. Every reply is JSON " +
    'unless stated; every error is `{"error":{"code","message"}}`. Send the token as ' +
    "`Authorization: Bearer vgl_...`.",
} as const;

const document = createRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This document",
  description: "OpenAPI 3.1. Open without a token.",
  tags: ["contract"],
  ...PUBLIC,
  responses: {
    200: jsonReply(
      z.looseObject({ openapi: z.string() }).openapi({ description: "OpenAPI 3.1" }),
      "The document",
    ),
  },
});

/**
 * @param root the whole app, whose routes the document describes
 * @param options the body limit, for the 413 replies
 * @returns the sub-app, mounted at `/api`
 */
export function documentRoutes(root: OpenAPIHono, options: { maxBodyBytes: number }) {
  let built: Record<string, unknown> | undefined;
  const build = () => {
    root.openAPIRegistry.registerComponent("securitySchemes", BEARER, {
      type: "http",
      scheme: "bearer",
      description: "A token `vgl_<id>_<secret>` from `POST /api/tokens` or the first start",
    });
    root.openAPIRegistry.registerComponent("securitySchemes", CLUSTER_SCHEME, {
      type: "http",
      scheme: "VigilBox",
      description: "Box to box only: `VigilBox <box>.<expiresMs>.<signature>`, signed with the " +
        "cluster's key in the shared database (docs/decisions/cluster-segment-fetch.md)",
    });
    const generated = root.getOpenAPI31Document({
      openapi: "3.1.0",
      info: API_INFO,
      security: [{ [BEARER]: [] }],
    });
    return finishDocument(generated, options.maxBodyBytes) as unknown as Record<string, unknown>;
  };
  return apiApp().openapi(document, (c) => {
    built ??= build();
    return c.json(built as { openapi: string }, 200);
  });
}
