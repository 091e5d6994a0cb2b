import assert from "node:assert/strict";
import { cameraStreamUrl } from "../../../models/media/camera_stream_url.ts";
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
