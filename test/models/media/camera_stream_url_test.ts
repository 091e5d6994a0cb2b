import assert from "node:assert/strict";
import {
  cameraStreamUrl,
  movedToHost,
  onCameraHost,
} from "../../../models/media/camera_stream_url.ts";
import { ValidationError } from "../../../models/errors.ts";

for (const field of ["analysisUrl", "recordUrl"] as const) {
  Deno.test(`cameraStreamUrl() takes a ${field} on the camera's host and refuses credentials, bad URLs and other hosts`, () => {
    assert.equal(
      cameraStreamUrl(field, "rtsp://10.0.0.5:554/sub", "10.0.0.5"),
      "rtsp://10.0.0.5:554/sub",
    );
    assert.equal(
      cameraStreamUrl(field, "rtsp://CAM.local/sub", "cam.local"),
      "rtsp://CAM.local/sub",
    );
    assert.equal(cameraStreamUrl(field, "rtsp://[fe80::1]/sub", "fe80::1"), "rtsp://[fe80::1]/sub");
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
        () => cameraStreamUrl(field, bad, "10.0.0.5"),
        (e: unknown) => e instanceof ValidationError && e.field === field,
        bad,
      );
    }
  });
}

Deno.test("onCameraHost() compares hosts as URLs and ONVIF addresses spell them", () => {
  assert.equal(onCameraHost("rtsp://CAM.local:554/sub", "cam.local"), true);
  assert.equal(onCameraHost("rtsp://[FE80::1]/sub", "fe80::1"), true);
  assert.equal(onCameraHost("rtsp://[fe80::1]/sub", "[fe80::1]"), true);
  assert.equal(onCameraHost("rtsp://10.0.0.6/sub", "10.0.0.5"), false);
  assert.equal(onCameraHost("rtsp:sub", "10.0.0.5"), false, "an opaque URL has no host");
  assert.equal(onCameraHost("not a url", "10.0.0.5"), false);
});

Deno.test("movedToHost() keeps port, path and query, and never returns the old host", () => {
  assert.equal(
    movedToHost("rtsp://10.0.0.5:8554/sub?x=1", "10.0.0.9"),
    "rtsp://10.0.0.9:8554/sub?x=1",
  );
  assert.equal(movedToHost("rtsp://10.0.0.5/sub", "fe80::2"), "rtsp://[fe80::2]/sub");
  assert.equal(movedToHost("rtsp://10.0.0.5/sub", "[fe80::2]"), "rtsp://[fe80::2]/sub");
  assert.equal(movedToHost("rtsp://10.0.0.5:8554/sub", "evil host"), undefined);
  assert.equal(movedToHost("not a url", "10.0.0.9"), undefined);
});
