/**
 * An ONVIF camera that moves takes its configured analysis stream along: the analysisUrl carries
 * no credentials of its own, the camera's are added to it, so left on the old address it would
 * hand the camera's password to whoever takes that address next (SECURITY.md).
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import {
  fakeNeighbours,
  probeMatch,
  scriptedProbe,
  startDiscoveryTestApp,
  waitUntilLive,
} from "../support/discovery_app.ts";
import { CAMERA_CREDENTIALS, startSimulatedCamera } from "../support/onvif.ts";
import { startRtspServer } from "../support/rtsp.ts";

forEachDatabase(
  "an accepted ONVIF move takes the camera's analysisUrl to the new address",
  async (db) => {
    const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const camera = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      name: "Gate",
      rtspUrl: rtsp.url,
      rtspRelay: true,
      macAddress: "02:00:00:00:00:0a",
    });
    const neighbours = new Map([["127.0.0.1", "02:00:00:00:00:0a"]]);
    let claim: { xaddr: string } | undefined;
    const t = await startDiscoveryTestApp(db, {
      probe: scriptedProbe(() =>
        claim
          ? [probeMatch({ endpointAddress: camera.endpointAddress, ...claim, name: "Gate" })]
          : []
      ),
      onvifTimeoutMs: 2000,
      neighbours: fakeNeighbours(neighbours),
    });
    const moved = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      hostname: "127.0.0.3",
      name: "Gate",
      rtspUrl: rtsp.url,
      rtspRelay: true,
      endpointAddress: camera.endpointAddress,
      macAddress: "02:00:00:00:00:0b",
    });
    try {
      const analysisUrl = rtsp.url;
      assert.equal(new URL(analysisUrl).hostname, "127.0.0.1");
      const res = await t.call("POST", "/api/cameras", {
        body: {
          name: "gate",
          onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
          analysisUrl,
        },
      });
      const created = await res.json();
      assert.equal(res.status, 201, JSON.stringify(created));
      const id = created.id as string;
      await t.call("POST", `/api/cameras/${id}/capture`, { body: { action: "start" } });
      await waitUntilLive(t, id);
      await camera.stop();
      neighbours.set("127.0.0.3", "02:00:00:00:00:0b");
      claim = { xaddr: moved.xaddr };
      await t.call("POST", "/api/discovery/scan", { body: {} });
      await t.watch.idle();
      const accepted = await t.call("POST", `/api/cameras/${id}/suspected-move/accept`);
      const after = await accepted.json();
      assert.equal(accepted.status, 200, JSON.stringify(after));
      assert.equal(new URL(after.rtspUrl).hostname, "127.0.0.3");
      const expected = new URL(analysisUrl);
      expected.hostname = "127.0.0.3";
      assert.equal(after.analysisUrl, expected.href, "the analysis stream moved with the camera");
    } finally {
      await t.close();
      await moved.stop();
      await camera.stop().catch(() => {});
      await rtsp.stop();
    }
  },
);
