/**
 * The API contract as a test oracle: finds the operation of the OpenAPI document a request hit
 * and checks the reply against it — the status is documented, the content type is declared, and a
 * JSON body validates against the schema for that status (ajv, JSON Schema 2020-12, the dialect
 * of OpenAPI 3.1). `startTestApp` runs every reply of the suite through it.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

/** The parts of an OpenAPI document the checker reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: Record<string, unknown>;
}

/** One operation. */
export interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  [key: string]: unknown;
}

/** Methods an operation may have. */
export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

// ajv-formats is CommonJS: its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const DOCUMENT_ID = "https://vigil.invalid/openapi.json";

/** A compiled document: route matching and reply validation. */
export interface Contract {
  /** The document checked against. */
  document: OpenApiDocument;
  /**
   * Checks one reply.
   *
   * @returns what is wrong, or undefined when it conforms
   */
  check(request: Request, response: Response): Promise<string | undefined>;
}

/**
 * The operation a request path falls on: static segments win over parameters, so
 * `/api/events/stream` is not taken for `/api/events/{id}`.
 *
 * @param document the document
 * @param method HTTP method
 * @param path the request's path (no query)
 * @returns the documented path and operation, or undefined
 */
export function findOperation(
  document: OpenApiDocument,
  method: string,
  path: string,
): { path: string; operation: OpenApiOperation } | undefined {
  const candidates = Object.keys(document.paths)
    .filter((template) => templateRegExp(template).test(path))
    .sort((a, b) => params(a) - params(b));
  for (const template of candidates) {
    const operation = document.paths[template]?.[method.toLowerCase()];
    if (operation) return { path: template, operation };
  }
  return undefined;
}

function params(template: string): number {
  return template.split("{").length - 1;
}

function templateRegExp(template: string): RegExp {
  const source = template.split(/\{[^}]+\}/).map((part) =>
    part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  )
    .join("[^/]+");
  return new RegExp(`^${source}$`);
}

const compiled = new Map<string, Contract>();

/**
 * Compiles a document once per process (by its text).
 *
 * @param document the OpenAPI document
 * @returns the contract
 */
export function contractOf(document: OpenApiDocument): Contract {
  const key = JSON.stringify(document);
  let contract = compiled.get(key);
  if (!contract) {
    contract = compile(document);
    compiled.set(key, contract);
  }
  return contract;
}

function compile(document: OpenApiDocument): Contract {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own format for file contents, on non-JSON replies only.
  ajv.addFormat("binary", true);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (pointer: string) => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  };
  return {
    document,
    async check(request, response) {
      const url = new URL(request.url);
      const label = `${request.method} ${url.pathname}${url.search} → ${response.status}`;
      const found = findOperation(document, request.method, url.pathname);
      if (!found) {
        // Outside the document only the app's "no route" reply is allowed — and what is checked
        // before routing, for every /api path: the body limit of POST/PUT/PATCH (413),
        // authentication, roles and the failed-authentication limit (401/403/429). The route
        // fuzzer sends e.g. `/api/cameras//analytics` with a bad token or a big body. A CORS
        // preflight from a listed origin is answered before routing too (routes/shared/cors.ts).
        const preflight = request.method === "OPTIONS" && response.status === 204 &&
          response.headers.has("access-control-allow-origin");
        return preflight || [401, 403, 404, 413, 429].includes(response.status)
          ? undefined
          : `${label}: no operation in the document`;
      }
      const status = String(response.status);
      const reply = found.operation.responses[status] ?? found.operation.responses.default;
      if (!reply) return `${label}: status not documented for ${found.path}`;
      const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
      if (!reply.content) {
        return type === "" ? undefined : `${label}: a body (${type}) where none is documented`;
      }
      if (!(type in reply.content)) {
        return `${label}: content type '${type}' not documented (${Object.keys(reply.content)})`;
      }
      if (type !== "application/json") return undefined;
      const body: unknown = await response.clone().json();
      const key = found.operation.responses[status] ? status : "default";
      const pointer = ["paths", found.path, request.method.toLowerCase(), "responses", key]
        .concat(["content", type, "schema"])
        .map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1"))
        .join("/");
      const validate = validatorFor(`/${pointer}`);
      if (validate(body)) return undefined;
      const problems = (validate.errors ?? []).slice(0, 5)
        .map((e) => `${e.instancePath || "(body)"} ${e.message}`).join("; ");
      return `${label}: reply does not match the document: ${problems}: ${
        JSON.stringify(body).slice(0, 300)
      }`;
    },
  };
}
