/**
 * Issue 17, security: "a LAN device can take over an onboarded camera". On the host, with
 * simulated cameras on several loopback addresses (127.0.0.x) and a neighbour table the test gives
 * the box (loopback has no link layer). The same attack over a real link layer, with real MACs,
 * runs in test/actors/onvif/takeover_test.ts.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import {
  type DiscoveryTestApp,
  fakeNeighbours,
  probeMatch,
  scriptedProbe,
  startDiscoveryTestApp,
  waitUntilLive,
} from "../support/discovery_app.ts";
import {
  CAMERA_CREDENTIALS,
  type SimulatedCamera,
  startSimulatedCamera,
} from "../support/onvif.ts";
import { type RtspServer, startRtspServer, startSilentServer } from "../support/rtsp.ts";

const CAMERA_MAC = "02:00:00:00:00:0a";
const OTHER_MAC = "02:00:00:00:00:0b";

/** A capturing camera at 127.0.0.1 and the app that onboarded it. */
interface Scene {
  t: DiscoveryTestApp;
  rtsp: RtspServer;
  camera: SimulatedCamera;
  id: string;
  /** The device the next scan reports for the camera's endpoint address. */
  claim: { xaddr: string } | undefined;
  /** Address → MAC, as the box's neighbour table. */
  neighbours: Map<string, string>;
  close(): Promise<void>;
}

async function capturingCamera(db: Parameters<typeof startDiscoveryTestApp>[0]): Promise<Scene> {
  const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
  const camera = await startSimulatedCamera({
    ...CAMERA_CREDENTIALS,
    name: "Gate",
    rtspUrl: rtsp.url,
    rtspRelay: true,
    macAddress: CAMERA_MAC,
  });
  const neighbours = new Map([["127.0.0.1", CAMERA_MAC]]);
  const scene: Partial<Scene> & { neighbours: Map<string, string> } = { neighbours };
  const t = await startDiscoveryTestApp(db, {
    probe: scriptedProbe(() =>
      scene.claim
        ? [probeMatch({ endpointAddress: camera.endpointAddress, ...scene.claim, name: "Gate" })]
        : []
    ),
    onvifTimeoutMs: 2000,
    neighbours: fakeNeighbours(neighbours),
  });
  const created = await (await t.call("POST", "/api/cameras", {
    body: { name: "gate", onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS } },
  })).json();
  assert.equal(created.onvif.macAddress, CAMERA_MAC, "the MAC is recorded at onboarding");
  await t.call("POST", `/api/cameras/${created.id}/capture`, { body: { action: "start" } });
  await waitUntilLive(t, created.id);
  return Object.assign(scene, {
    t,
    rtsp,
    camera,
    id: created.id as string,
    claim: undefined,
    async close() {
      await t.close();
      await camera.stop();
      await rtsp.stop();
    },
  });
}

async function scan(scene: Scene) {
  await scene.t.call("POST", "/api/discovery/scan", { body: {} });
  await scene.t.watch.idle();
  return await (await scene.t.call("GET", `/api/cameras/${scene.id}`)).json();
}

forEachDatabase(
  "camera takeover (issue 17): a spoofer at another MAC gets no credentials even once the camera is gone",
  async (db) => {
    const scene = await capturingCamera(db);
    const rtspTrap = startSilentServer("127.0.0.2");
    // Echoes the camera's endpoint address and serial, accepts anything, streams from its trap.
    const spoofer = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      hostname: "127.0.0.2",
      rtspUrl: rtspTrap.url,
      endpointAddress: scene.camera.endpointAddress,
      serialNumber: scene.camera.endpointAddress.slice(-12),
      acceptAnyCredentials: true,
      macAddress: OTHER_MAC,
    });
    try {
      const before = await (await scene.t.call("GET", `/api/cameras/${scene.id}`)).json();
      // The camera goes silent (unplugged, or knocked off the network): condition 1 holds.
      await scene.camera.stop();
      scene.neighbours.set("127.0.0.2", OTHER_MAC);
      scene.claim = { xaddr: spoofer.xaddr };
      const after = await scan(scene);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      assert.deepEqual(spoofer.securedActions, [], "no WS-Security header reached the spoofer");
      assert.equal(rtspTrap.accepted, 0, "no RTSP connection reached the spoofer");
      assert.equal(after.rtspUrl, before.rtspUrl);
      assert.equal(after.onvif.deviceUrl, before.onvif.deviceUrl);
      assert.equal(after.suspectedMove.xaddr, spoofer.xaddr);
      assert.equal(after.suspectedMove.address, "127.0.0.2");
      assert.deepEqual(after.suspectedMove.reasons, [
        `the MAC address at 127.0.0.2 is ${OTHER_MAC}, not the camera's ${CAMERA_MAC}`,
      ]);

      // A viewer sees the suspicion but cannot act on it; an admin may dismiss it.
      const viewer = await scene.t.call("DELETE", `/api/cameras/${scene.id}/suspected-move`, {
        token: scene.t.tokens.viewer,
      });
      assert.equal(viewer.status, 403);
      const dismissed = await scene.t.call("DELETE", `/api/cameras/${scene.id}/suspected-move`);
      assert.equal(dismissed.status, 200);
      assert.equal((await dismissed.json()).suspectedMove, null);
      const again = await scene.t.call("DELETE", `/api/cameras/${scene.id}/suspected-move`);
      assert.equal(again.status, 409);
      assert.deepEqual(spoofer.securedActions, []);
    } finally {
      await spoofer.stop();
      await rtspTrap.stop();
      await scene.close();
    }
  },
);

forEachDatabase(
  "camera takeover (issue 17): a device that passes the MAC check but reports another serial is not followed",
  async (db) => {
    const scene = await capturingCamera(db);
    // Same credentials, same MAC (a cloned adapter), but another device.
    const other = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      hostname: "127.0.0.3",
      rtspUrl: scene.rtsp.url,
      endpointAddress: scene.camera.endpointAddress,
      serialNumber: "CLONE-0001",
      macAddress: CAMERA_MAC,
    });
    try {
      await scene.camera.stop();
      scene.neighbours.set("127.0.0.3", CAMERA_MAC);
      scene.claim = { xaddr: other.xaddr };
      const after = await scan(scene);
      assert.ok(other.securedActions.includes("GetDeviceInformation"), "re-authenticated there");
      assert.equal(new URL(after.rtspUrl).hostname, "127.0.0.1", "not followed");
      assert.deepEqual(after.suspectedMove.reasons, [
        `serial number "CLONE-0001" is not the camera's ` +
        JSON.stringify(scene.camera.endpointAddress.slice(-12)),
      ]);
    } finally {
      await other.stop();
      await scene.close();
    }
  },
);

forEachDatabase(
  "a camera that moved to another MAC waits for an admin, who accepts the move with one call",
  async (db) => {
    const scene = await capturingCamera(db);
    let moved: SimulatedCamera | undefined;
    try {
      // The same camera behind a new adapter: new address, new MAC.
      moved = await startSimulatedCamera({
        ...CAMERA_CREDENTIALS,
        hostname: "127.0.0.3",
        name: "Gate",
        rtspUrl: scene.rtsp.url,
        rtspRelay: true,
        endpointAddress: scene.camera.endpointAddress,
        macAddress: OTHER_MAC,
      });
      await scene.camera.stop();
      scene.neighbours.set("127.0.0.3", OTHER_MAC);
      scene.claim = { xaddr: moved.xaddr };
      const suspected = await scan(scene);
      assert.equal(suspected.suspectedMove.xaddr, moved.xaddr);
      assert.deepEqual(moved.securedActions, []);

      const byViewer = await scene.t.call(
        "POST",
        `/api/cameras/${scene.id}/suspected-move/accept`,
        { token: scene.t.tokens.viewer },
      );
      assert.equal(byViewer.status, 403);
      const accepted = await scene.t.call("POST", `/api/cameras/${scene.id}/suspected-move/accept`);
      assert.equal(accepted.status, 200);
      const camera = await accepted.json();
      assert.equal(camera.suspectedMove, null);
      assert.equal(camera.onvif.deviceUrl, moved.xaddr);
      assert.equal(camera.onvif.macAddress, OTHER_MAC, "the new MAC is recorded");
      assert.equal(new URL(camera.rtspUrl).hostname, "127.0.0.3");
      await waitUntilLive(scene.t, scene.id);

      const twice = await scene.t.call("POST", `/api/cameras/${scene.id}/suspected-move/accept`);
      assert.equal(twice.status, 409);
      assert.equal((await twice.json()).error.code, "conflict");
    } finally {
      await moved?.stop();
      await scene.close();
    }
  },
);

forEachDatabase(
  "accepting a suspected move refuses a device that reports another endpoint address",
  async (db) => {
    const scene = await capturingCamera(db);
    // Claims the endpoint in discovery but tells another one once asked with credentials.
    const liar = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      hostname: "127.0.0.4",
      rtspUrl: scene.rtsp.url,
      macAddress: OTHER_MAC,
    });
    try {
      scene.neighbours.set("127.0.0.4", OTHER_MAC);
      scene.claim = { xaddr: liar.xaddr };
      const suspected = await scan(scene);
      assert.ok(suspected.suspectedMove, "suspected");
      const accepted = await scene.t.call("POST", `/api/cameras/${scene.id}/suspected-move/accept`);
      assert.equal(accepted.status, 502);
      assert.equal((await accepted.json()).error.code, "onvif_bad_reply");
      const after = await (await scene.t.call("GET", `/api/cameras/${scene.id}`)).json();
      assert.equal(after.onvif.deviceUrl, scene.camera.xaddr);
      assert.equal(after.suspectedMove.xaddr, liar.xaddr, "the suspicion stays");
    } finally {
      await liar.stop();
      await scene.close();
    }
  },
);
