import assert from "node:assert/strict";
import { recordUrlOf } from "../../../models/recording/source.ts";

Deno.test("recordUrlOf() records an ONVIF camera's largest profile", () => {
  const onvif = {
    recordingProfile: { token: "main", streamUri: "rtsp://admin:pw@10.0.0.5:554/main" },
    analysisProfile: { token: "sub", streamUri: "rtsp://10.0.0.5:554/sub" },
  };
  assert.equal(
    recordUrlOf({ sourceUrl: "rtsp://10.0.0.5:554/sub", onvif }),
    "rtsp://10.0.0.5:554/main",
    "without the credentials the camera reported",
  );
});

Deno.test("recordUrlOf() takes the camera's recordUrl, else the captured URL", () => {
  assert.equal(
    recordUrlOf({ sourceUrl: "rtsp://cam/sub", recordUrl: "rtsp://cam/main" }),
    "rtsp://cam/main",
  );
  assert.equal(recordUrlOf({ sourceUrl: "rtsp://cam/only" }), "rtsp://cam/only");
});

Deno.test("recordUrlOf() ignores an unusable ONVIF stream URI", () => {
  const onvif = { recordingProfile: { streamUri: "file:///etc/passwd" } };
  assert.equal(recordUrlOf({ sourceUrl: "rtsp://cam/sub", onvif }), "rtsp://cam/sub");
  assert.equal(recordUrlOf({ sourceUrl: "rtsp://cam/sub", onvif: { x: 1 } }), "rtsp://cam/sub");
});
