/**
 * An ONVIF camera that moves takes its configured analysis stream along: the analysisUrl carries
 * no credentials of its own, the camera's are added to it, so left on the old address it would
 * hand the camera's password to whoever takes that address next (SECURITY.md). And a move being
 * followed re-onboards the camera over the network (seconds): a change of the analysisUrl made
 * meanwhile must not be undone when the move writes the new source.
 */
import assert from "node:assert/strict";
import { forEachDatabase, type TestDatabase } from "../support/databases.ts";
import {
  type DiscoveryTestApp,
  fakeNeighbours,
  probeMatch,
  scriptedProbe,
  startDiscoveryTestApp,
  waitUntilLive,
} from "../support/discovery_app.ts";
import { CAMERA_CREDENTIALS, startSimulatedCamera } from "../support/onvif.ts";
import { startRtspServer } from "../support/rtsp.ts";

/** A live ONVIF camera at 127.0.0.1 with an analysisUrl, and the same device ready at 127.0.0.3. */
interface MoveRig {
  t: DiscoveryTestApp;
  id: string;
  analysisUrl: string;
  /** Announces the device at `xaddr` (its new address) and scans, so the move is suspected. */
  claim(xaddr: string): Promise<void>;
  /** The moved device's XAddr, optionally through a port of its own host (a slow proxy). */
  movedXaddr(port?: number): string;
  close(): Promise<void>;
}

async function startMoveRig(db: TestDatabase): Promise<MoveRig> {
  const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
  const camera = await startSimulatedCamera({
    ...CAMERA_CREDENTIALS,
    name: "Gate",
    rtspUrl: rtsp.url,
    rtspRelay: true,
    macAddress: "02:00:00:00:00:0a",
  });
  const neighbours = new Map([["127.0.0.1", "02:00:00:00:00:0a"]]);
  let claimed: { xaddr: string } | undefined;
  const t = await startDiscoveryTestApp(db, {
    probe: scriptedProbe(() =>
      claimed
        ? [probeMatch({ endpointAddress: camera.endpointAddress, ...claimed, name: "Gate" })]
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
  return {
    t,
    id,
    analysisUrl,
    async claim(xaddr) {
      await camera.stop();
      neighbours.set("127.0.0.3", "02:00:00:00:00:0b");
      claimed = { xaddr };
      await t.call("POST", "/api/discovery/scan", { body: {} });
      await t.watch.idle();
    },
    movedXaddr(port) {
      const url = new URL(moved.xaddr);
      if (port !== undefined) url.port = String(port);
      return url.href;
    },
    async close() {
      await t.close();
      await moved.stop();
      await camera.stop().catch(() => {});
      await rtsp.stop();
    },
  };
}

forEachDatabase(
  "an accepted ONVIF move takes the camera's analysisUrl to the new address",
  async (db) => {
    const rig = await startMoveRig(db);
    try {
      await rig.claim(rig.movedXaddr());
      const accepted = await rig.t.call("POST", `/api/cameras/${rig.id}/suspected-move/accept`);
      const after = await accepted.json();
      assert.equal(accepted.status, 200, JSON.stringify(after));
      assert.equal(new URL(after.rtspUrl).hostname, "127.0.0.3");
      const expected = new URL(rig.analysisUrl);
      expected.hostname = "127.0.0.3";
      assert.equal(after.analysisUrl, expected.href, "the analysis stream moved with the camera");
    } finally {
      await rig.close();
    }
  },
);

forEachDatabase(
  "an analysisUrl cleared while a move is being accepted stays cleared",
  async (db) => {
    const rig = await startMoveRig(db);
    // The moved device answers through a proxy that waits 1.5 s per connection: the accept's
    // re-onboarding is still running when the change lands.
    const proxy = Deno.listen({ hostname: "127.0.0.3", port: 0 });
    const target = Number(new URL(rig.movedXaddr()).port);
    (async () => {
      for await (const conn of proxy) {
        (async () => {
          await new Promise((r) => setTimeout(r, 1500));
          const up = await Deno.connect({ hostname: "127.0.0.3", port: target });
          await Promise.all([
            conn.readable.pipeTo(up.writable).catch(() => {}),
            up.readable.pipeTo(conn.writable).catch(() => {}),
          ]);
        })();
      }
    })().catch(() => {});
    try {
      await rig.claim(rig.movedXaddr((proxy.addr as Deno.NetAddr).port));
      const accepting = rig.t.call("POST", `/api/cameras/${rig.id}/suspected-move/accept`);
      await new Promise((r) => setTimeout(r, 500));
      const patched = await rig.t.call("PATCH", `/api/cameras/${rig.id}`, {
        body: { analysisUrl: null },
      });
      assert.equal(patched.status, 200);
      await patched.body?.cancel();
      const accepted = await accepting;
      const after = await accepted.json();
      assert.equal(accepted.status, 200, JSON.stringify(after));
      assert.equal(new URL(after.rtspUrl).hostname, "127.0.0.3");
      const row = await (await rig.t.call("GET", `/api/cameras/${rig.id}`)).json();
      assert.equal(row.analysisUrl ?? null, null, "the change made during the move was undone");
    } finally {
      proxy.close();
      await rig.close();
    }
  },
);
