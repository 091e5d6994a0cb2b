/// <reference lib="dom" />
/**
 * The console's HTTP client: every call carries the token as a Bearer header (never in a URL,
 * never in a cookie, so there is nothing for another site to ride on), errors arrive as
 * {@linkcode ApiError} with the API's code and message, and a 401 signs the user out.
 *
 * @module
 */
import type { ErrorReply } from "./types.ts";

/** A failed call: the API's `{error:{code,message}}`, or a network failure (status 0). */
export class ApiError extends Error {
  /** HTTP status; 0 when the box did not answer. */
  readonly status: number;
  /** The API's machine-readable code. */
  readonly code: string;
  /**
   * @param status HTTP status
   * @param code machine-readable code
   * @param message what went wrong
   */
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** What pages use to talk to the API. */
export interface Api {
  /** GET a JSON reply. */
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  /** A request with an optional JSON body; `undefined` for 204. */
  send<T>(method: string, path: string, body?: unknown): Promise<T | undefined>;
  /** GET a binary reply (snapshots, clips). */
  blob(path: string, signal?: AbortSignal): Promise<Blob>;
  /**
   * GET a streaming reply (the event feed); the caller reads the body. `lastEventId` resumes the
   * feed after that event (`Last-Event-ID`).
   */
  stream(path: string, signal: AbortSignal, lastEventId?: string): Promise<Response>;
  /** The `Authorization` header value, for the video player's own requests. */
  authorization(): string;
}

async function failure(response: Response): Promise<ApiError> {
  let code = "http_" + response.status;
  let message = `the box answered ${response.status} ${response.statusText}`.trim();
  try {
    // Any body may come back (a proxy's page, an older box): each field is checked before use.
    const body: { error?: Partial<ErrorReply["error"]> } | null = await response.json();
    if (typeof body?.error?.code === "string") code = body.error.code;
    if (typeof body?.error?.message === "string") message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message);
}

/**
 * @param token the bearer token
 * @param onUnauthorized called when the box says the token is not (or no longer) valid
 * @returns the client
 */
export function createApi(token: string, onUnauthorized: () => void): Api {
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    let response: Response;
    try {
      response = await fetch(path, { ...init, headers, credentials: "omit", cache: "no-store" });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError(0, "network", "the box did not answer; check the connection");
    }
    if (response.ok) return response;
    const error = await failure(response);
    if (response.status === 401) onUnauthorized();
    throw error;
  };
  return {
    async get<T>(path: string, signal?: AbortSignal) {
      return await (await call(path, { signal })).json() as T;
    },
    async send<T>(method: string, path: string, body?: unknown) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { "content-type": "application/json" };
      }
      const response = await call(path, init);
      if (response.status === 204) return undefined;
      return await response.json() as T;
    },
    async blob(path: string, signal?: AbortSignal) {
      return await (await call(path, { signal })).blob();
    },
    stream(path: string, signal: AbortSignal, lastEventId?: string) {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      return call(path, { signal, headers });
    },
    authorization: () => `Bearer ${token}`,
  };
}

/**
 * A human message for any failure a page shows.
 *
 * @param error what was thrown
 * @returns text for an error line
 */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Whether a failure means the box has no such route at all (an older Vigil, or one built
 * without a feature), as opposed to a missing camera or record.
 *
 * @param error what was thrown
 * @returns true for the API's "no route" 404
 */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.message.startsWith("no route");
}
