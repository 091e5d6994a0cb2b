/**
 * One SOAP call over HTTP with a hard time limit and a size limit on the reply, classifying every
 * way it can fail: no answer (`onvif_timeout`), nothing listening (`onvif_unreachable`), an HTTP
 * server that is not ONVIF (`onvif_not_onvif`), refused credentials (`onvif_unauthorized`), a SOAP
 * fault (`onvif_fault`), a malformed or oversized reply (`onvif_bad_reply`).
 *
 * @module
 */
import { OnvifError } from "./onvif_error.ts";
import type { OnvifRequest } from "./requests.ts";
import { buildEnvelope, MAX_SOAP_REPLY_CHARS, readResponse } from "./soap.ts";
import type { UsernameToken } from "./ws_security.ts";
import type { XmlElement } from "./xml.ts";

/** Options of {@linkcode postSoap}. */
export interface PostSoapOptions {
  /** WS-Security token for an authenticated call. */
  security?: UsernameToken;
  /** Time limit for the whole call, reply body included. */
  timeoutMs: number;
  /** Cancels the call (e.g. the HTTP request that asked for it went away). */
  signal?: AbortSignal;
  /** Largest reply accepted, in bytes (default 256 KiB). */
  maxBytes?: number;
  /** WS-Addressing header elements (event subscriptions); see `buildEnvelope`. */
  addressing?: string;
}

/**
 * Posts a SOAP request and returns the response element.
 *
 * @param url the service XAddr
 * @param request from requests.ts
 * @param options token, time limit, cancellation, size limit
 * @returns the body's response element (`GetProfilesResponse`...)
 * @throws {OnvifError} with the codes listed in the module doc
 * @example
 * ```ts
 * const response = await postSoap(new URL("http://127.0.0.1:8000/onvif/device_service"),
 *   getSystemDateAndTime(), { timeoutMs: 5000 });
 * ```
 */
export async function postSoap(
  url: URL,
  request: OnvifRequest,
  options: PostSoapOptions,
): Promise<XmlElement> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const where = `${request.name} at ${url.host}`;
  let text: string;
  let status: number;
  let contentType: string;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": `application/soap+xml; charset=utf-8; action="${request.action}"`,
      },
      body: buildEnvelope(request.body, options.security, options.addressing),
      signal,
      redirect: "manual",
    });
    status = response.status;
    contentType = response.headers.get("content-type") ?? "";
    text = await readLimited(response, options.maxBytes ?? MAX_SOAP_REPLY_CHARS, where);
  } catch (error) {
    if (error instanceof OnvifError) throw error;
    if (timeout.aborted) {
      throw new OnvifError(
        "onvif_timeout",
        `onvif: ${where} did not answer within ${options.timeoutMs} ms`,
        {
          cause: error,
        },
      );
    }
    if (options.signal?.aborted) throw error;
    throw new OnvifError("onvif_unreachable", `onvif: cannot reach ${where}: ${message(error)}`, {
      cause: error,
    });
  }
  if (status === 401) {
    // Some cameras put HTTP Digest in front of SOAP; Vigil speaks WS-Security only, so the
    // credentials (or the method) were refused either way.
    throw new OnvifError(
      "onvif_unauthorized",
      `onvif: ${where} answered HTTP 401 (credentials refused)`,
    );
  }
  if (/html/i.test(contentType) || !/<([\w.-]+:)?Envelope[\s>/]/.test(text)) {
    throw new OnvifError(
      "onvif_not_onvif",
      `onvif: ${url.host} is not an ONVIF device (${request.name} got HTTP ${status}` +
        `${contentType ? `, ${contentType.split(";")[0]}` : ""} without a SOAP envelope)`,
    );
  }
  return readResponse(text, request.name);
}

async function readLimited(response: Response, maxBytes: number, where: string): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(where, maxBytes);
  }
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(where, maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function tooLarge(where: string, maxBytes: number): OnvifError {
  return new OnvifError("onvif_bad_reply", `onvif: ${where} sent a reply over ${maxBytes} bytes`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
