/**
 * A move being followed re-onboards the camera over the network (seconds): a change of the
 * camera's analysisUrl made meanwhile must not be undone when the move writes its new source. A
 * slow proxy in front of the moved camera holds the move open while the change lands.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import {
  fakeNeighbours,
  probeMatch,
  scriptedProbe,
  startDiscoveryTestApp,
  waitUntilLive,
} from "../support/discovery_app.ts";
import { CAMERA_CREDENTIALS, startSimulatedCamera } from "../support/onvif.ts";
import { startRtspServer } from "../support/rtsp.ts";

Deno.test({
  name: "an analysisUrl cleared while a move is being accepted stays cleared",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const db = await openTestDatabase("embedded");
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
    const proxy = Deno.listen({ hostname: "127.0.0.3", port: 0 });
    (async () => {
      for await (const conn of proxy) {
        (async () => {
          await new Promise((r) => setTimeout(r, 1500));
          const up = await Deno.connect({ hostname: "127.0.0.3", port: moved.port });
          await Promise.all([
            conn.readable.pipeTo(up.writable).catch(() => {}),
            up.readable.pipeTo(conn.writable).catch(() => {}),
          ]);
        })();
      }
    })().catch(() => {});
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
      const slow = new URL(moved.xaddr);
      slow.port = String((proxy.addr as Deno.NetAddr).port);
      claim = { xaddr: slow.href };
      await t.call("POST", "/api/discovery/scan", { body: {} });
      await t.watch.idle();
      const accepting = t.call("POST", `/api/cameras/${id}/suspected-move/accept`);
      await new Promise((r) => setTimeout(r, 500));
      const patched = await t.call("PATCH", `/api/cameras/${id}`, { body: { analysisUrl: null } });
      const patchedBody = await patched.json();
      console.log(
        "PATCH analysisUrl:null during the accept:",
        patched.status,
        patchedBody.analysisUrl,
      );
      const accepted = await accepting;
      const after = await accepted.json();
      console.log(
        "accept:",
        accepted.status,
        "rtspUrl",
        after.rtspUrl,
        "analysisUrl",
        after.analysisUrl,
      );
      assert.equal(accepted.status, 200, JSON.stringify(after));
      assert.equal(new URL(after.rtspUrl).hostname, "127.0.0.3");
      const expected = new URL(analysisUrl);
      expected.hostname = "127.0.0.3";
      const row = await (await t.call("GET", `/api/cameras/${id}`)).json();
      assert.equal(row.analysisUrl ?? null, null, "the admin's clear was undone by the move");
    } finally {
      await t.close();
      await moved.stop();
      await camera.stop().catch(() => {});
      await rtsp.stop();
      proxy.close();
      await db.close();
    }
  },
});
