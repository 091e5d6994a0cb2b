/**
 * `/api/discovery` on the host: the registry's probe is scripted (no multicast outside a
 * namespace — GUIDE §3), the cameras behind the XAddrs are real simulated ONVIF cameras on
 * 127.0.0.1. The real WS-Discovery path runs in test/actors/onvif/fleet_moves_test.ts.
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
import type { ReceivedMatch } from "../../models/onvif/probe.ts";
import {
  CAMERA_CREDENTIALS,
  type SimulatedCamera,
  startSimulatedCamera,
  withSimulatedCamera,
} from "../support/onvif.ts";
import { startRtspServer } from "../support/rtsp.ts";

forEachDatabase(
  "GET /api/discovery lists scanned devices and which are cameras already",
  async (db) => {
    await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:9/x", name: "Gate" }, async (camera) => {
      const other = "urn:uuid:00000000-0000-4000-8000-0000000000bb";
      const matches: ReceivedMatch[] = [
        probeMatch({ endpointAddress: camera.endpointAddress, xaddr: camera.xaddr, name: "Gate" }),
        probeMatch({
          endpointAddress: other,
          xaddr: "http://127.0.0.1:9/onvif/device_service",
          name: "Yard",
        }),
      ];
      const t = await startDiscoveryTestApp(db, { probe: scriptedProbe(() => matches) });
      try {
        const empty = await t.call("GET", "/api/discovery");
        assert.deepEqual(await empty.json(), { items: [], next: null });

        // A plain POST without a body scans with the defaults.
        const scan = await t.app.request("/api/discovery/scan", {
          method: "POST",
          headers: { authorization: `Bearer ${t.tokens.admin}` },
        });
        assert.equal(scan.status, 200);
        const scanned = await scan.json();
        assert.deepEqual(scanned.devices.map((d: { name: string }) => d.name).sort(), [
          "Gate",
          "Yard",
        ]);
        assert.deepEqual(scanned.interfaces, ["default"]);

        const list = await (await t.call("GET", "/api/discovery")).json();
        assert.equal(list.next, null);
        const gate = list.items.find((d: { name: string }) => d.name === "Gate");
        assert.deepEqual(Object.keys(gate).sort(), [
          "address",
          "cameraId",
          "endpointAddress",
          "firstSeen",
          "hardware",
          "id",
          "lastSeen",
          "location",
          "name",
          "onboarded",
          "scopes",
          "types",
          "xaddrs",
        ]);
        assert.equal(gate.address, "127.0.0.1");
        assert.deepEqual(gate.xaddrs, [camera.xaddr]);
        assert.equal(gate.hardware, "SimCam 1");
        assert.equal(gate.location, "yard");
        assert.equal(gate.onboarded, false);
        assert.equal(gate.cameraId, null);
        assert.match(gate.firstSeen, /^\d{4}-\d\d-\d\dT/);

        const adopted = await t.call("POST", `/api/discovery/${gate.id}/adopt`, {
          body: CAMERA_CREDENTIALS,
        });
        const adoptedText = await adopted.text();
        assert.equal(adopted.status, 201, adoptedText);
        assert.ok(!adoptedText.includes(CAMERA_CREDENTIALS.password));
        const created = JSON.parse(adoptedText);
        assert.equal(created.name, "Gate", "named after the announced name");
        assert.equal(created.onvif.endpointAddress, camera.endpointAddress);
        assert.equal(adopted.headers.get("location"), `/api/cameras/${created.id}`);

        const after = await (await t.call("GET", "/api/discovery")).json();
        const gateAfter = after.items.find((d: { name: string }) => d.name === "Gate");
        assert.equal(gateAfter.onboarded, true);
        assert.equal(gateAfter.cameraId, created.id);
        assert.equal(after.items.find((d: { name: string }) => d.name === "Yard").onboarded, false);
        assert.equal(
          (await (await t.call("GET", `/api/discovery/${gate.id}`)).json()).onboarded,
          true,
        );

        const again = await t.call("POST", `/api/discovery/${gate.id}/adopt`, {
          body: { ...CAMERA_CREDENTIALS, name: "gate 2" },
        });
        assert.equal(again.status, 409);
        assert.match((await again.json()).error.message, /already onboarded/);
      } finally {
        await t.close();
      }
    });
  },
);

forEachDatabase(
  "discovery requests are checked before anything is probed or stored",
  async (db, ctx) => {
    let probes = 0;
    const t = await startDiscoveryTestApp(db, {
      probe: () => {
        probes++;
        return Promise.resolve({ matches: [], rejected: 0, interfaces: ["default"] });
      },
    });
    try {
      await ctx.step("a viewer can list but cannot scan or adopt (403)", async () => {
        const token = t.tokens.viewer;
        assert.equal((await t.call("GET", "/api/discovery", { token })).status, 200);
        const scan = await t.call("POST", "/api/discovery/scan", { token, body: {} });
        assert.equal(scan.status, 403);
        const adopt = await t.call(
          "POST",
          "/api/discovery/00000000-0000-4000-8000-0000000000aa/adopt",
          { token, body: CAMERA_CREDENTIALS },
        );
        assert.equal(adopt.status, 403);
        assert.equal(probes, 0, "nothing probed");
      });
      await ctx.step("without a token, 401", async () => {
        const response = await t.app.request("/api/discovery/scan", { method: "POST" });
        assert.equal(response.status, 401);
        assert.equal(probes, 0);
      });
      await ctx.step("a bad scan body is 422 naming the field", async () => {
        for (
          const [body, field] of [
            [{ windowMs: 60_000 }, /windowMs/],
            [{ interfaces: ["eth0; rm -rf /"] }, /interfaces\.0/],
            [{ interfaces: "eth0" }, /interfaces/],
            [{ everything: true }, /everything is not a known field/],
          ] as const
        ) {
          const response = await t.call("POST", "/api/discovery/scan", { body });
          assert.equal(response.status, 422);
          assert.match((await response.json()).error.message, field);
        }
        assert.equal(probes, 0);
      });
      await ctx.step("an unknown device is 404, a malformed id 400", async () => {
        const unknown = await t.call(
          "POST",
          "/api/discovery/00000000-0000-4000-8000-0000000000aa/adopt",
          { body: CAMERA_CREDENTIALS },
        );
        assert.equal(unknown.status, 404);
        const malformed = await t.call("POST", "/api/discovery/..%2F..%2Fx/adopt", {
          body: CAMERA_CREDENTIALS,
        });
        assert.equal(malformed.status, 400);
      });
      await ctx.step("a scan with options answers the devices found", async () => {
        const response = await t.call("POST", "/api/discovery/scan", { body: { windowMs: 200 } });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {
          devices: [],
          rejected: 0,
          interfaces: ["default"],
        });
        assert.equal(probes, 1);
      });
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from cameras`;
      assert.equal(row?.n, 0);
    } finally {
      await t.close();
    }
  },
);

forEachDatabase(
  "a capturing camera found at a new address is re-onboarded and goes live again",
  async (db) => {
    const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const endpointAddress = `urn:uuid:${crypto.randomUUID()}`;
    // Loopback has no link layer: the camera's MAC comes from a table the test gives the box.
    const macAddress = "02:00:00:00:00:01";
    const start = () =>
      startSimulatedCamera({
        ...CAMERA_CREDENTIALS,
        name: "Mover",
        rtspUrl: rtsp.url,
        rtspRelay: true,
        endpointAddress,
        macAddress,
      });
    let camera: SimulatedCamera = await start();
    // What discovery "sees": the camera wherever it currently is.
    const t = await startDiscoveryTestApp(db, {
      probe: scriptedProbe(() => [
        probeMatch({ endpointAddress, xaddr: camera.xaddr, name: "Mover" }),
      ]),
      onvifTimeoutMs: 2000,
      neighbours: fakeNeighbours(new Map([["127.0.0.1", macAddress]])),
    });
    try {
      const created = await (await t.call("POST", "/api/cameras", {
        body: {
          name: "mover",
          onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
        },
      })).json();
      const oldSource = created.rtspUrl;
      await t.call("POST", `/api/cameras/${created.id}/capture`, { body: { action: "start" } });
      await waitUntilLive(t, created.id);

      // The camera comes back on another port (as after a restart of Vigil: the registry is new,
      // so it reports the device as found, not moved).
      const previous = camera;
      camera = await start();
      await previous.stop();
      const movedAt = performance.now();
      const scan = await (await t.call("POST", "/api/discovery/scan", { body: {} })).json();
      assert.equal(scan.devices[0].cameraId, created.id);
      await t.watch.idle();
      const liveMs = await waitUntilLive(t, created.id);
      const after = await (await t.call("GET", `/api/cameras/${created.id}`)).json();
      assert.notEqual(after.rtspUrl, oldSource);
      assert.equal(after.onvif.deviceUrl, camera.xaddr, "the stored device URL follows the camera");
      assert.equal(after.onvif.macAddress, macAddress);
      assert.equal(after.suspectedMove, null);
      assert.equal(after.hasPassword, true, "credentials kept");
      console.log(
        `live again ${(performance.now() - movedAt).toFixed(0)} ms after the scan ` +
          `(${liveMs.toFixed(0)} ms after the refresh)`,
      );

      // A second scan at the same address changes nothing.
      const updatedAt = after.updatedAt;
      await t.call("POST", "/api/discovery/scan", { body: {} });
      await t.watch.idle();
      const still = await (await t.call("GET", `/api/cameras/${created.id}`)).json();
      assert.equal(still.updatedAt, updatedAt);
    } finally {
      await t.close();
      await camera.stop();
      await rtsp.stop();
    }
  },
);

forEachDatabase(
  "camera takeover (issue 17): a device claiming a live camera's endpoint gets no credentials",
  async (db) => {
    await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:9/real" }, async (real) => {
      // Accepts anything, as a spoofing device would; the real camera still answers.
      await withSimulatedCamera(
        { rtspUrl: "rtsp://127.0.0.1:9/evil", acceptAnyCredentials: true },
        async (impostor) => {
          const t = await startDiscoveryTestApp(db, {
            probe: scriptedProbe(() => [
              probeMatch({
                endpointAddress: real.endpointAddress,
                xaddr: impostor.xaddr,
                name: "Gate",
              }),
            ]),
          });
          try {
            const created = await (await t.call("POST", "/api/cameras", {
              body: {
                name: "gate",
                onvif: { host: "127.0.0.1", port: real.port, ...CAMERA_CREDENTIALS },
              },
            })).json();
            await t.call("POST", "/api/discovery/scan", { body: {} });
            await t.watch.idle();
            assert.deepEqual(impostor.securedActions, [], "no credential went to the impostor");
            const after = await (await t.call("GET", `/api/cameras/${created.id}`)).json();
            assert.equal(after.onvif.deviceUrl, real.xaddr);
            assert.equal(after.rtspUrl, "rtsp://127.0.0.1:9/real");
            assert.equal(after.suspectedMove.xaddr, impostor.xaddr);
            assert.equal(after.suspectedMove.address, "127.0.0.1");
            assert.ok(
              after.suspectedMove.reasons.some((r: string) => r.includes("still answers")),
              JSON.stringify(after.suspectedMove.reasons),
            );
          } finally {
            await t.close();
          }
        },
      );
    });
  },
);
