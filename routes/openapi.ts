/**
 * The base of every route: `@hono/zod-openapi` apps whose failed validations answer
 * `{"error":{"code","message"}}`, helpers to declare bodies and replies, the error shaping of the
 * whole API (codes and statuses from models/error_codes.ts), and {@linkcode finishDocument}, which
 * adds to the OpenAPI document what every operation shares: the bearer scheme, the roles allowed
 * (`permissionFor`) and the error replies its shape can give. A route declares only its own.
 *
 * @module
 */
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context, Env } from "hono";
import { HTTPException } from "hono/http-exception";
import { CapacityError, VigilError } from "../models/errors.ts";
import { ERROR_CODES, type ErrorCode } from "../models/error_codes.ts";
import { validationError } from "../models/validation.ts";
import { allows, type Permission, ROLES } from "../models/auth.ts";
import { createLogger } from "../models/log.ts";
import { ErrorReply } from "./schemas.ts";
import { permissionFor } from "./shared/access.ts";

const log = createLogger("http");

/** The name of the bearer security scheme in the document. */
export const BEARER = "bearer";

/** The name of the box-to-box security scheme (`GET /api/cluster/segments/{id}`). */
export const CLUSTER_SCHEME = "vigilBox";

/** `security` of a route open without a token (health). */
export const PUBLIC: { security: [] } = { security: [] };

/**
 * The validation hook of every app: a body that fails its schema is a 422 naming each bad field
 * by its dotted path; a bad path or query parameter is a 400. Thrown, so `onError` shapes it.
 */
function defaultHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
  _c: Context,
): void {
  if (result.success) return;
  // @hono/zod-validator passes the validated input as `data` on failure too.
  const input = "data" in result ? result.data : undefined;
  const isBody = result.target === "json";
  throw validationError(result.error.issues, input, {
    status: isBody ? 422 : 400,
    noun: result.target === "query" ? "parameter" : "field",
  });
}

/**
 * A sub-app for one resource, with our validation hook.
 *
 * @returns an OpenAPIHono to declare routes on with `app.openapi(route, handler)`
 * @example
 * ```ts
 * const health = apiApp().openapi(healthRoute, (c) => c.json({ status: "ok" }, 200));
 * app.route("/api/health", health);
 * ```
 */
export function apiApp<E extends Env = Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({ defaultHook });
}

/**
 * A required JSON request body.
 *
 * @param schema the body's schema
 * @param description what the body is
 * @returns the `request.body` of a route
 */
export function jsonBody<S extends z.ZodType>(schema: S, description?: string) {
  return {
    required: true,
    description,
    content: { "application/json": { schema } },
  } as const;
}

/**
 * A JSON reply.
 *
 * @param schema the reply's schema
 * @param description what the reply is
 * @returns one entry of a route's `responses`
 */
export function jsonReply<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/**
 * Error replies a route gives beyond the ones its shape implies (see the module comment).
 *
 * @param replies status → when it happens
 * @returns entries of a route's `responses`
 * @example
 * ```ts
 * responses: { 200: jsonReply(Camera, "The camera"), ...errorReplies({ 404: "No such camera" }) }
 * ```
 */
export function errorReplies<const R extends Record<number, string>>(
  replies: R,
): {
  [K in keyof R]: {
    description: string;
    content: { "application/json": { schema: typeof ErrorReply } };
  };
} {
  const out: Record<number, unknown> = {};
  for (const [status, description] of Object.entries(replies)) {
    out[Number(status)] = jsonReply(ErrorReply, description);
  }
  return out as { [K in keyof R]: ReturnType<typeof jsonReply<typeof ErrorReply>> };
}

/**
 * Answers any error thrown by a route as `{"error":{"code","message"}}`: our errors with their
 * status, Hono's (malformed JSON, wrong content type, too large) with ours, anything else 500.
 *
 * @param error what was thrown
 * @param c the request's context
 * @returns the JSON reply
 */
export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof CapacityError) c.header("Retry-After", String(error.retryAfterS));
  if (error instanceof VigilError) {
    return c.json({ error: { code: error.code, message: error.message } }, error.status as 400);
  }
  if (error instanceof HTTPException) {
    const known = HTTP_ERRORS[error.status];
    if (known) return errorJson(c, known, ERROR_CODES[known].meaning);
    return c.json({ error: { code: "bad_request", message: error.message } }, error.status);
  }
  log.error("request failed", { method: c.req.method, path: c.req.path, error });
  return errorJson(c, "internal", "internal server error");
}

/**
 * An error reply with a catalogue code and its status, for what is answered without a throw.
 *
 * @param c the request's context
 * @param code the code (models/error_codes.ts)
 * @param message what went wrong
 * @returns `{"error":{"code","message"}}` with the code's status
 * @example
 * ```ts
 * app.notFound((c) => errorJson(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));
 * ```
 */
export function errorJson(c: Context, code: ErrorCode, message: string): Response {
  return c.json({ error: { code, message } }, ERROR_CODES[code].status as 400);
}

/** Hono's own request errors, answered with our code for the status and its meaning. */
const HTTP_ERRORS: Partial<Record<number, ErrorCode>> = {
  400: "malformed_json",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** The parts of an OpenAPI document {@linkcode finishDocument} reads and writes. */
interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { in?: string }[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  description?: string;
  [key: `x-${string}`]: unknown;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

/**
 * Adds what every operation shares: the roles allowed, and the error replies its shape implies.
 * Roles come from `permissionFor`, the rule the auth middleware enforces, so they cannot drift.
 *
 * @param document the generated document (changed in place)
 * @param maxBodyBytes the body limit, for the 413 description
 * @returns the same document
 */
export function finishDocument<D extends { paths?: object }>(document: D, maxBodyBytes: number): D {
  const error = (description: string) => ({
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  const paths = (document.paths ?? {}) as Record<string, Record<string, unknown> | undefined>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item?.[method] as Operation | undefined;
      if (!operation) continue;
      const responses = operation.responses ??= {};
      const add = (status: number, description: string) => {
        responses[status] ??= error(description);
      };
      const open = Array.isArray(operation.security) && operation.security.length === 0;
      const boxOnly = operation.security?.some((s) => CLUSTER_SCHEME in s) ?? false;
      if (boxOnly) {
        operation["x-permission"] = "box";
        operation["x-roles"] = [];
      } else if (!open) {
        const permission: Permission = permissionFor(method.toUpperCase(), apiPath(path));
        const roles = ROLES.filter((role) => allows(role, permission));
        operation["x-permission"] = permission;
        operation["x-roles"] = roles;
        const line = `Roles: ${roles.join(", ")} (permission \`${permission}\`).`;
        operation.description = operation.description
          ? `${operation.description}\n\n${line}`
          : line;
        add(401, "No bearer token, or not a valid one");
        add(403, "The token's role lacks the permission");
        add(429, "Too many failed authentications from this address: wait `Retry-After` seconds");
      }
      const hasInput = (operation.parameters ?? []).some((p) =>
        p.in === "path" || p.in === "query"
      );
      const malformed = [
        hasInput ? "a path or query parameter is malformed or unknown" : "",
        operation.requestBody ? "the body is not valid JSON" : "",
      ].filter(Boolean).join(", or ");
      if (malformed) add(400, malformed[0]!.toUpperCase() + malformed.slice(1));
      // The body limit stands in front of every POST, PUT and PATCH (routes/app.ts), whether the
      // operation reads a body or not (found by the route fuzzer on a body-less POST).
      if (operation.requestBody || method === "post" || method === "put" || method === "patch") {
        add(413, `The body exceeds ${maxBodyBytes} bytes`);
      }
      if (operation.requestBody) {
        add(415, "The body is not application/json");
        add(422, "A field of the body is wrong: the message names it by its dotted path");
      }
      add(500, "An unexpected failure (logged)");
    }
  }
  return document;
}

/** `/cameras/{id}` → `/api/cameras/x`, the form `permissionFor` reads. */
function apiPath(path: string): string {
  return path.replaceAll(/\{[^}]+\}/g, "x");
}
