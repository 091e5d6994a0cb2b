import assert from "node:assert/strict";
import {
  cameraRecordingsDir,
  incomingPattern,
  parseIncomingName,
  parseSegmentPath,
  recordFile,
  segmentFile,
  segmentPath,
} from "../../../models/recording/paths.ts";
import { ValidationError } from "../../../models/errors.ts";

const CAM = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e";

Deno.test("segmentPath() names a segment by its UTC start and parses back to the same ms", () => {
  const start = Date.UTC(2026, 10, 25, 14, 0, 5, 120);
  const path = segmentPath(CAM, start);
  assert.equal(path, `${CAM}/2026-11-25/140005-120.mp4`);
  assert.deepEqual(parseSegmentPath(path), { cameraId: CAM, startMs: start });
});

Deno.test("parseSegmentPath() refuses anything that is not a segment path", async (t) => {
  for (
    const bad of [
      `${CAM}/2026-11-25/../../../etc/passwd`,
      `/${CAM}/2026-11-25/140005-120.mp4`,
      `${CAM}/2026-11-25/140005-120.mp4.txt`,
      `not-a-uuid-at-all-not-a-uuid-at-all0/2026-11-25/140005-120.mp4`,
      `${CAM}/2026-13-45/140005-120.mp4`,
    ]
  ) {
    await t.step(bad, () => {
      assert.equal(parseSegmentPath(bad), null);
      assert.throws(() => segmentFile("/data", bad), ValidationError);
    });
  }
});

Deno.test("incoming files are named by run and number, and nothing else parses", () => {
  const pattern = incomingPattern("/data", CAM, 1764000000000);
  assert.equal(pattern, `/data/recordings/${CAM}/incoming/1764000000000-%06d.mp4`);
  assert.deepEqual(parseIncomingName("1764000000000-000003.mp4"), {
    runStartMs: 1764000000000,
    index: 3,
  });
  assert.equal(parseIncomingName("1764000000000-000003.mp4.part"), null);
  assert.equal(parseIncomingName("x-000003.mp4"), null);
});

Deno.test("paths refuse ids that are not UUIDs", () => {
  assert.throws(() => cameraRecordingsDir("/data", "../x"), ValidationError);
  assert.throws(() => recordFile("/data", "a/b"), ValidationError);
  assert.equal(recordFile("/data", CAM.toUpperCase()), `/data/records/${CAM}.mp4`);
});
