import assert from "node:assert/strict";
import { analysisSource, analysisUrl } from "../../../models/media/analysis_source.ts";
import { ValidationError } from "../../../models/errors.ts";

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

Deno.test("analysisUrl() accepts a source URL and refuses credentials and bad URLs", () => {
  assert.equal(analysisUrl("rtsp://10.0.0.5:554/sub", "10.0.0.5"), "rtsp://10.0.0.5:554/sub");
  for (
    const bad of [
      "rtsp://admin:pw@10.0.0.5/sub",
      "file:///etc/passwd",
      "-i x",
      "http://cam/x",
      "rtsp://10.0.0.6/sub",
    ]
  ) {
    assert.throws(
      () => analysisUrl(bad, "10.0.0.5"),
      (e: unknown) => e instanceof ValidationError && e.field === "analysisUrl",
      bad,
    );
  }
});
