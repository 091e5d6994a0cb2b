import assert from "node:assert/strict";
import type { OnvifCameraInfo, OnvifProfile } from "../../../models/onvif/client.ts";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import {
  onvifSourceUrl,
  readOnvifIdentity,
  storedOnvifInfo,
} from "../../../models/onvif/stored_info.ts";

function profile(token: string, streamUri: string, snapshotUri?: string): OnvifProfile {
  return {
    token,
    name: token,
    codec: "h264",
    width: token === "main" ? 1920 : 640,
    height: token === "main" ? 1080 : 360,
    fps: 10,
    bitrateKbps: undefined,
    streamUri,
    snapshotUri,
  };
}

function info(
  sub: OnvifProfile,
  main = profile("main", "rtsp://10.0.0.5:554/main"),
): OnvifCameraInfo {
  return {
    deviceUrl: "http://10.0.0.5/onvif/device_service",
    mediaUrl: "http://10.0.0.5/onvif/media",
    endpointAddress: "urn:uuid:00000000-0000-4000-8000-000000000001",
    macAddress: "00:11:22:33:44:55",
    deviceInfo: {
      manufacturer: "Acme",
      model: "Cam 2",
      firmwareVersion: "1",
      serialNumber: "S1",
      hardwareId: "H1",
    },
    timeOffsetMs: 7_200_000,
    profiles: [main, sub],
    recordingProfile: main,
    analysisProfile: sub,
  };
}

Deno.test("storedOnvifInfo() drops credentials a camera put into its URIs, and nothing else", () => {
  const sub = profile(
    "sub",
    "rtsp://admin:secret@10.0.0.5:554/sub",
    "http://admin:secret@10.0.0.5/snap.jpg",
  );
  const stored = storedOnvifInfo(info(sub));
  assert.ok(!JSON.stringify(stored).includes("secret"));
  assert.equal(stored.analysisProfile.streamUri, "rtsp://10.0.0.5:554/sub");
  assert.equal(stored.analysisProfile.snapshotUri, "http://10.0.0.5/snap.jpg");
  assert.equal(stored.profiles[1]?.streamUri, "rtsp://10.0.0.5:554/sub");
  assert.equal(stored.recordingProfile.streamUri, "rtsp://10.0.0.5:554/main");
  assert.equal(stored.timeOffsetMs, 7_200_000);
  assert.equal(stored.deviceInfo.model, "Cam 2");
});

Deno.test("onvifSourceUrl() is the recording (main) profile, bare, and refuses unusable URIs", () => {
  const sub = profile("sub", "rtsp://10.0.0.5:554/sub");
  assert.equal(
    onvifSourceUrl(info(sub, profile("main", "rtsp://admin:pw@10.0.0.5:554/main"))),
    "rtsp://10.0.0.5:554/main",
  );
  for (const bad of ["file:///etc/passwd", "http://10.0.0.5/mjpeg", "-i x"]) {
    assert.throws(
      () => onvifSourceUrl(info(sub, profile("main", bad))),
      (error: unknown) =>
        error instanceof OnvifError && error.code === "onvif_unsupported" &&
        /"main"/.test(error.message),
      bad,
    );
  }
});

Deno.test("readOnvifIdentity() reads stored JSON and ignores anything else", () => {
  const stored = JSON.parse(JSON.stringify(storedOnvifInfo(info(profile("sub", "rtsp://h/s")))));
  assert.deepEqual(readOnvifIdentity(stored), {
    deviceUrl: "http://10.0.0.5/onvif/device_service",
    endpointAddress: "urn:uuid:00000000-0000-4000-8000-000000000001",
    macAddress: "00:11:22:33:44:55",
    serialNumber: "S1",
    hardwareId: "H1",
  });
  assert.deepEqual(readOnvifIdentity({ deviceUrl: "http://h/x" }), {
    deviceUrl: "http://h/x",
    endpointAddress: undefined,
    macAddress: undefined,
    serialNumber: "",
    hardwareId: "",
  });
  assert.equal(readOnvifIdentity({ deviceUrl: "http://h/x", deviceInfo: 7 })?.serialNumber, "");
  for (const junk of [undefined, null, "x", 5, [], { deviceUrl: 1 }, { deviceUrl: "not a url" }]) {
    assert.equal(readOnvifIdentity(junk), undefined, JSON.stringify(junk));
  }
});
