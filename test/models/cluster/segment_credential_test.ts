/**
 * The box-to-box credential of segment fetches: valid for one segment, from one box, for a minute,
 * and only with the cluster's key.
 */
import assert from "node:assert/strict";
import {
  checkSegmentRequest,
  CLOCK_SKEW_MS,
  SEGMENT_CREDENTIAL_TTL_MS,
  signSegmentRequest,
} from "../../../models/cluster/segment_credential.ts";

const key = new Uint8Array(32).fill(7);
const segmentId = "01a22474-2b3c-7000-8000-000000000001";
const boxId = "01a22474-2b3c-7000-8000-0000000000b0";
const now = Date.parse("2026-12-06T01:00:00Z");

Deno.test("checkSegmentRequest() accepts what signSegmentRequest() signed, naming the box", () => {
  const header = signSegmentRequest(key, { segmentId, boxId, nowMs: now });
  assert.match(header, /^VigilBox [0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(checkSegmentRequest(key, header, segmentId, now), { ok: true, boxId });
  assert.deepEqual(
    checkSegmentRequest(key, header, segmentId.toUpperCase(), now + 1000),
    { ok: true, boxId },
  );
});

Deno.test("checkSegmentRequest() refuses anything else", async (t) => {
  const header = signSegmentRequest(key, { segmentId, boxId, nowMs: now });
  const [, , expires, sig] = /^VigilBox ([^.]+)\.(\d+)\.(.+)$/.exec(header)!;
  const cases: [string, string | undefined, string, number, Uint8Array, RegExp][] = [
    ["no header", undefined, segmentId, now, key, /required/],
    ["a user's bearer token", "Bearer vgl_abcdefabcdef_secret", segmentId, now, key, /not a/],
    ["another segment", header, "01a22474-2b3c-7000-8000-000000000002", now, key, /not valid/],
    ["another key", header, segmentId, now, new Uint8Array(32).fill(8), /not valid/],
    [
      "another box claimed",
      `VigilBox 01a22474-2b3c-7000-8000-0000000000b1.${expires}.${sig}`,
      segmentId,
      now,
      key,
      /not valid/,
    ],
    [
      "a later expiry claimed",
      `VigilBox ${boxId}.${Number(expires) + 1}.${sig}`,
      segmentId,
      now,
      key,
      /not valid/,
    ],
    [
      "expired",
      header,
      segmentId,
      now + SEGMENT_CREDENTIAL_TTL_MS + CLOCK_SKEW_MS + 1,
      key,
      /expired/,
    ],
    [
      "too far in the future",
      header,
      segmentId,
      now - CLOCK_SKEW_MS - 1,
      key,
      /expired/,
    ],
    ["a short signature", `VigilBox ${boxId}.${expires}.abc`, segmentId, now, key, /not a/],
  ];
  for (const [name, presented, segment, at, withKey, reason] of cases) {
    await t.step(name, () => {
      const check = checkSegmentRequest(withKey, presented, segment, at);
      assert.equal(check.ok, false);
      assert.match(check.ok ? "" : check.reason, reason);
    });
  }
});
