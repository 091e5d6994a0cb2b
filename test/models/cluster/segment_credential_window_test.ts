/**
 * The promise of models/cluster/segment_credential.ts and docs/decisions/cluster-segment-fetch.md:
 * "a header caught in a log opens one segment for at most a minute". The check adds the clock
 * skew allowance (another minute) after the expiry, so between boxes with the same clock a caught
 * header opens the segment for two minutes.
 */
import assert from "node:assert/strict";
import {
  checkSegmentRequest,
  signSegmentRequest,
} from "../../../models/cluster/segment_credential.ts";

Deno.test("a segment credential caught in a log opens the segment for at most a minute", () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const segmentId = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e";
  const boxId = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6f";
  const signedAt = Date.parse("2026-12-06T02:00:00Z");
  const header = signSegmentRequest(key, { segmentId, boxId, nowMs: signedAt });
  assert.equal(checkSegmentRequest(key, header, segmentId, signedAt + 59_000).ok, true);
  const later = checkSegmentRequest(key, header, segmentId, signedAt + 61_000);
  assert.equal(later.ok, false, "still accepted 61 s after it was signed");
  assert.equal(checkSegmentRequest(key, header, segmentId, signedAt + 119_000).ok, false);
});
