import assert from "node:assert/strict";
import { analysisSource } from "../../../models/media/analysis_source.ts";

const onvif = {
  recordingProfile: { token: "main", width: 1280, height: 720, streamUri: "rtsp://cam/main" },
  analysisProfile: { token: "sub", width: 640, height: 360, streamUri: "rtsp://cam/sub" },
};

Deno.test("analysisSource() prefers analysisUrl, then the ONVIF analysis profile, then rtspUrl", async (t) => {
  await t.step("a configured analysisUrl wins, even over an ONVIF profile", () => {
    assert.deepEqual(
      analysisSource({ sourceUrl: "rtsp://cam/main", analysisUrl: "rtsp://cam/s2", onvif }),
      { from: "analysisUrl", url: "rtsp://cam/s2", profile: null },
    );
  });
  await t.step("an ONVIF camera analyses its analysis profile", () => {
    assert.deepEqual(analysisSource({ sourceUrl: "rtsp://cam/main", onvif }), {
      from: "onvifProfile",
      url: "rtsp://cam/sub",
      profile: { token: "sub", width: 640, height: 360 },
    });
  });
  await t.step("a camera added by URL analyses its own stream", () => {
    assert.deepEqual(analysisSource({ sourceUrl: "rtsp://cam/main", onvif: null }), {
      from: "rtspUrl",
      url: "rtsp://cam/main",
      profile: null,
    });
  });
  await t.step("an unusable stored profile URI is passed over", () => {
    const bad = { analysisProfile: { ...onvif.analysisProfile, streamUri: "file:///etc/passwd" } };
    assert.equal(analysisSource({ sourceUrl: "rtsp://cam/main", onvif: bad }).from, "rtspUrl");
  });
});
