/**
 * The credential one box sends another to fetch a recorded segment (`GET
 * /api/cluster/segments/{id}`): `Authorization: VigilBox <box>.<expiresMs>.<signature>`, where the
 * signature is an HMAC-SHA256 over the segment id, the sending box and the expiry, keyed by a key
 * derived from the cluster's shared key (models/store/cluster_key.ts). The shared key never
 * travels; a header caught in a log opens one segment for at most a minute. User tokens are no
 * credential here. Why: docs/decisions/cluster-segment-fetch.md.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { isUuid } from "../ids.ts";

/** The Authorization scheme of box-to-box requests. */
export const SEGMENT_SCHEME = "VigilBox";
/**
 * How long a signed request holds. With {@linkcode CLOCK_SKEW_MS} a caught header opens its
 * segment for at most a minute between boxes whose clocks agree.
 */
export const SEGMENT_CREDENTIAL_TTL_MS = 30_000;
/** How far the boxes' wall clocks may disagree (they only stamp frames; the database's rules). */
export const CLOCK_SKEW_MS = 30_000;

const LABEL = "vigil segment fetch";
const HEADER = /^VigilBox ([0-9a-f-]{36})\.(\d{13,15})\.([A-Za-z0-9_-]{43})$/;

/** Why a credential was refused (the reply says it; the signature is never echoed). */
export type SegmentCredentialCheck =
  | { ok: true; boxId: string }
  | { ok: false; reason: string };

function signature(key: Uint8Array, segmentId: string, boxId: string, expiresMs: number) {
  const derived = createHmac("sha256", key).update(LABEL).digest();
  return createHmac("sha256", derived)
    .update(`segment ${segmentId.toLowerCase()} ${boxId.toLowerCase()} ${expiresMs}`)
    .digest();
}

/**
 * The Authorization header for fetching one segment.
 *
 * @param key the cluster's key
 * @param request the segment, the sending box, and the time now (ms)
 * @returns the header's value
 * @example
 * ```ts
 * signSegmentRequest(key, { segmentId, boxId, nowMs: Date.now() }); // "VigilBox <box>.<exp>.<sig>"
 * ```
 */
export function signSegmentRequest(
  key: Uint8Array,
  request: { segmentId: string; boxId: string; nowMs: number },
): string {
  const expiresMs = Math.trunc(request.nowMs) + SEGMENT_CREDENTIAL_TTL_MS;
  const sig = signature(key, request.segmentId, request.boxId, expiresMs).toString("base64url");
  return `${SEGMENT_SCHEME} ${request.boxId.toLowerCase()}.${expiresMs}.${sig}`;
}

/**
 * Checks the Authorization header of a segment fetch.
 *
 * @param key the cluster's key
 * @param header the request's Authorization header (undefined: none)
 * @param segmentId the segment the request asks for
 * @param nowMs the time now (ms)
 * @returns the sending box, or why the request is refused
 * @example
 * ```ts
 * checkSegmentRequest(key, undefined, segmentId, Date.now()); // { ok: false, reason: "..." }
 * ```
 */
export function checkSegmentRequest(
  key: Uint8Array,
  header: string | undefined,
  segmentId: string,
  nowMs: number,
): SegmentCredentialCheck {
  if (!header) return { ok: false, reason: "a box credential is required" };
  const match = HEADER.exec(header);
  if (!match || !isUuid(match[1])) {
    return { ok: false, reason: `the credential is not a ${SEGMENT_SCHEME} credential` };
  }
  const [, boxId, expires, sig] = match as unknown as [string, string, string, string];
  const expiresMs = Number(expires);
  if (
    expiresMs + CLOCK_SKEW_MS < nowMs ||
    expiresMs > nowMs + SEGMENT_CREDENTIAL_TTL_MS + CLOCK_SKEW_MS
  ) {
    return { ok: false, reason: "the credential has expired (or the clocks disagree)" };
  }
  const expected = signature(key, segmentId, boxId, expiresMs);
  const presented = Uint8Array.fromBase64(sig, { alphabet: "base64url" });
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: "the credential is not valid for this segment" };
  }
  return { ok: true, boxId };
}
