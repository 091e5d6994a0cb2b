/**
 * Discovery tests. On the host, only what sends no multicast: the registry with a fake probe, the
 * interval actor, adoption by address on 127.0.0.1, config parsing. The real WS-Discovery tests
 * run in a private network namespace: the outer test creates it, re-runs THIS file inside it
 * (where {@linkcode NETNS_ENV} is set and only the inner tests are registered) and deletes it.
 */
import assert from "node:assert/strict";
import { createActor, setup } from "xstate";
import {
  adoptDiscoveredDevice,
  deviceId,
  type DiscoveredDevice,
  type DiscoveryEvent,
  discoveryIntervalActor,
  DiscoveryRegistry,
  movedCameraXaddr,
} from "../../../actors/onvif/discovery.ts";
import { discoveryIntervalFromEnv } from "../../../models/config.ts";
import { ValidationError } from "../../../models/errors.ts";
import { buildScopes } from "../../../models/onvif/discovery_messages.ts";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import type { ProbeResult, ReceivedMatch } from "../../../models/onvif/probe.ts";
import {
  type Announcement,
  assertIsolatedNetwork,
  startDiscoveryResponder,
} from "../../../scripts/sim/discovery_responder.ts";
import {
  CAMERA_CREDENTIALS,
  NETNS_ENV,
  passedInRun,
  probeStream,
  runTestInNetworkNamespace,
  type SimulatedCamera,
  startSimulatedCamera,
  withSimulatedCamera,
} from "../../support/onvif.ts";
import { startRtspServer } from "../../support/rtsp.ts";
import { CLOSED_PORT } from "../../support/ports.ts";

const UUID_A = "urn:uuid:00000000-0000-4000-8000-00000000000a";
const UUID_B = "urn:uuid:00000000-0000-4000-8000-00000000000b";
/** How long scans inside the namespace collect replies. */
const WINDOW_MS = 1500;

function match(endpointAddress: string, xaddr: string, name: string): ReceivedMatch {
  return {
    endpointAddress,
    types: ["dn:NetworkVideoTransmitter"],
    scopes: buildScopes({ name, hardware: "SimCam 1", location: "yard" }),
    xaddrs: [xaddr],
    metadataVersion: 1,
    from: new URL(xaddr).hostname,
  };
}

/** A probe that answers from a script, one result per call, counting calls. */
function scriptedProbe(results: ReceivedMatch[][]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    probe: (): Promise<ProbeResult> => {
      const matches = results[Math.min(calls, results.length - 1)] ?? [];
      calls++;
      return Promise.resolve({ matches, rejected: 1, interfaces: ["default"] });
    },
  };
}

if (Deno.env.get(NETNS_ENV) === undefined) {
  Deno.test("a scan records devices with scope names and first/last seen, once per device", async () => {
    let now = Date.UTC(2026, 0, 1);
    const script = scriptedProbe([[
      match(UUID_A, "http://10.0.0.2/onvif/device_service", "Gate"),
      match(UUID_A, "http://10.0.0.2/onvif/device_service", "Gate"),
      match(UUID_B, "http://10.0.0.3/onvif/device_service", "Yard"),
    ]]);
    const registry = new DiscoveryRegistry({ probe: script.probe, now: () => now });
    const events: DiscoveryEvent[] = [];
    registry.subscribe((event) => events.push(event));

    const first = await registry.scan();
    assert.equal(first.devices.length, 2);
    assert.equal(first.rejected, 1);
    assert.deepEqual(events.map((e) => e.type), ["discovery.found", "discovery.found"]);
    const gate = registry.get(deviceId(UUID_A));
    assert.deepEqual(
      gate && { ...gate, scopes: undefined, types: undefined },
      {
        id: "00000000-0000-4000-8000-00000000000a",
        endpointAddress: UUID_A,
        address: "10.0.0.2",
        xaddrs: ["http://10.0.0.2/onvif/device_service"],
        name: "Gate",
        hardware: "SimCam 1",
        location: "yard",
        firstSeen: "2026-01-01T00:00:00.000Z",
        lastSeen: "2026-01-01T00:00:00.000Z",
        scopes: undefined,
        types: undefined,
      },
    );

    now += 60_000;
    await registry.scan();
    assert.equal(events.length, 2, "known devices at the same address are not found again");
    assert.equal(registry.get(deviceId(UUID_A))?.firstSeen, "2026-01-01T00:00:00.000Z");
    assert.equal(registry.get(deviceId(UUID_A))?.lastSeen, "2026-01-01T00:01:00.000Z");
    assert.equal(registry.list().length, 2);
  });

  Deno.test("a known device answering from a new address is reported as moved", async () => {
    const script = scriptedProbe([
      [match(UUID_A, "http://10.0.0.2/onvif/device_service", "Gate")],
      [match(UUID_A, "http://10.0.0.99/onvif/device_service", "Gate")],
    ]);
    const registry = new DiscoveryRegistry({ probe: script.probe });
    const events: DiscoveryEvent[] = [];
    registry.subscribe((event) => events.push(event));
    await registry.scan();
    await registry.scan();
    const moved = events[1];
    assert.equal(moved?.type, "discovery.moved");
    assert.ok(moved?.type === "discovery.moved");
    assert.deepEqual(moved.previousXaddrs, ["http://10.0.0.2/onvif/device_service"]);
    assert.deepEqual(moved.device.xaddrs, ["http://10.0.0.99/onvif/device_service"]);
    assert.equal(moved.device.address, "10.0.0.99");
  });

  Deno.test("scans asked for while one runs share its probe", async () => {
    const script = scriptedProbe([[match(UUID_A, "http://10.0.0.2/onvif/device_service", "Gate")]]);
    const registry = new DiscoveryRegistry({ probe: script.probe });
    const [a, b] = await Promise.all([registry.scan(), registry.scan()]);
    assert.equal(script.calls, 1);
    assert.equal(a, b);
    await registry.scan();
    assert.equal(script.calls, 2);
  });

  Deno.test("a throwing subscriber does not stop the scan", async () => {
    const script = scriptedProbe([[match(UUID_A, "http://10.0.0.2/onvif/device_service", "Gate")]]);
    const registry = new DiscoveryRegistry({ probe: script.probe });
    registry.subscribe(() => {
      throw new Error("boom");
    });
    assert.equal((await registry.scan()).devices.length, 1);
  });

  Deno.test("movedCameraXaddr() names the new XAddr of an onboarded camera, and only then", () => {
    const stored = { endpointAddress: UUID_A, deviceUrl: "http://10.0.0.2/onvif/device_service" };
    const at = (endpointAddress: string, xaddr: string) => ({ endpointAddress, xaddrs: [xaddr] });
    assert.equal(
      movedCameraXaddr(stored, at(UUID_A, "http://10.0.0.9/onvif/device_service")),
      "http://10.0.0.9/onvif/device_service",
    );
    assert.equal(
      movedCameraXaddr(stored, at(UUID_A, "http://10.0.0.2/onvif/device_service")),
      undefined,
    );
    assert.equal(
      movedCameraXaddr(stored, at(UUID_B, "http://10.0.0.9/onvif/device_service")),
      undefined,
    );
    assert.equal(
      movedCameraXaddr({ ...stored, endpointAddress: undefined }, at(UUID_A, "http://10.0.0.9/x")),
      undefined,
    );
  });

  Deno.test("deviceId() is the UUID of a urn:uuid address, else a short hash", () => {
    assert.equal(deviceId(UUID_B), "00000000-0000-4000-8000-00000000000b");
    assert.match(deviceId("http://vendor/device/1"), /^[0-9a-f]{16}$/);
    assert.equal(deviceId("http://vendor/device/1"), deviceId("http://vendor/device/1"));
  });

  Deno.test("discoveryIntervalFromEnv() is off by default and refuses bad values", async (t) => {
    assert.equal(discoveryIntervalFromEnv({}), 0);
    assert.equal(discoveryIntervalFromEnv({ VIGIL_DISCOVERY_INTERVAL_S: "" }), 0);
    assert.equal(discoveryIntervalFromEnv({ VIGIL_DISCOVERY_INTERVAL_S: "0" }), 0);
    assert.equal(discoveryIntervalFromEnv({ VIGIL_DISCOVERY_INTERVAL_S: "300" }), 300);
    for (const bad of ["-1", "1.5", "5", "abc", "100000"]) {
      await t.step(`refuses ${JSON.stringify(bad)}`, () => {
        assert.throws(
          () => discoveryIntervalFromEnv({ VIGIL_DISCOVERY_INTERVAL_S: bad }),
          (error: unknown) =>
            error instanceof ValidationError && error.field === "VIGIL_DISCOVERY_INTERVAL_S",
        );
      });
    }
  });

  Deno.test("the interval actor scans on its interval, sends events to its parent, and stops", async () => {
    const script = scriptedProbe([
      [match(UUID_A, "http://10.0.0.2/onvif/device_service", "Gate")],
      [match(UUID_A, "http://10.0.0.5/onvif/device_service", "Gate")],
    ]);
    const registry = new DiscoveryRegistry({ probe: script.probe });
    const received: DiscoveryEvent[] = [];
    const parent = setup({
      types: { events: {} as DiscoveryEvent },
      actors: { discovery: discoveryIntervalActor },
    }).createMachine({
      invoke: { src: "discovery", input: { registry, intervalS: 0.05 } },
      on: {
        "discovery.found": { actions: ({ event }) => received.push(event) },
        "discovery.moved": { actions: ({ event }) => received.push(event) },
      },
    });
    const actor = createActor(parent).start();
    try {
      const deadline = Date.now() + 15_000;
      while (received.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      actor.stop();
    }
    assert.deepEqual(received.slice(0, 2).map((e) => e.type), [
      "discovery.found",
      "discovery.moved",
    ]);
    const calls = script.calls;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(script.calls, calls, "no scan after the actor stopped");
  });

  Deno.test("the interval actor never scans when the interval is 0", async () => {
    const script = scriptedProbe([[]]);
    const registry = new DiscoveryRegistry({ probe: script.probe });
    const parent = setup({ actors: { discovery: discoveryIntervalActor } }).createMachine({
      invoke: { src: "discovery", input: { registry, intervalS: 0 } },
    });
    const actor = createActor(parent).start();
    await new Promise((r) => setTimeout(r, 200));
    actor.stop();
    assert.equal(script.calls, 0);
  });

  Deno.test("adopting a device tries its XAddrs in order and stops at refused credentials", async () => {
    await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:8554/x" }, async (camera) => {
      const deadXaddr = `http://127.0.0.1:${CLOSED_PORT}/onvif/device_service`;
      const device = { xaddrs: [deadXaddr, camera.xaddr] };
      const info = await adoptDiscoveredDevice(device, { ...CAMERA_CREDENTIALS, timeoutMs: 5000 });
      assert.equal(info.deviceUrl, camera.xaddr);

      const before = camera.actions.length;
      await assert.rejects(
        adoptDiscoveredDevice({ xaddrs: [camera.xaddr, camera.xaddr] }, {
          username: "admin",
          password: "wrong",
        }),
        (error: unknown) => error instanceof OnvifError && error.code === "onvif_unauthorized",
      );
      assert.equal(
        camera.actions.slice(before).filter((a) => a === "GetDeviceInformation").length,
        1,
        "the second XAddr was not tried with refused credentials",
      );
      await assert.rejects(
        adoptDiscoveredDevice({ xaddrs: [] }, CAMERA_CREDENTIALS),
        (error: unknown) => error instanceof OnvifError && error.code === "onvif_unreachable",
      );
    });
  });

  Deno.test("WS-Discovery works inside a private network namespace (multicast never leaves it)", async () => {
    const run = await runTestInNetworkNamespace(new URL(import.meta.url).pathname);
    if (run.code !== 0) console.error(run.output);
    assert.equal(run.code, 0, "the tests inside the namespace failed (output above)");
    for (
      const name of ["finds three simulated cameras", "moves to a new IP", "hostile discovery"]
    ) {
      assert.ok(passedInRun(run, name), `no "${name}" test passed in the namespace`);
    }
  });
} else {
  // Inside the namespace: refuse to go on if this is not an isolated network.
  assertIsolatedNetwork();

  Deno.test("discovery finds three simulated cameras and each onboards with a playable stream", async () => {
    const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const cameras = [];
    try {
      for (const name of ["Gate", "Yard", "Garage"]) {
        cameras.push(await startCameraWithResponder({ name, rtspUrl: rtsp.url }));
      }
      const registry = new DiscoveryRegistry();
      const { devices, rejected } = await registry.scan({ windowMs: WINDOW_MS });
      assert.equal(rejected, 0);
      assert.deepEqual(devices.map((d) => d.name).sort(), ["Garage", "Gate", "Yard"]);
      for (const { camera } of cameras) {
        const device = registry.get(deviceId(camera.endpointAddress));
        assert.deepEqual(device?.xaddrs, [camera.xaddr]);
        assert.equal(device?.address, "127.0.0.1");
        const info = await adoptDiscoveredDevice(device!, CAMERA_CREDENTIALS);
        assert.equal(info.endpointAddress, camera.endpointAddress);
        assert.equal(info.recordingProfile.token, "main");
        assert.equal(info.analysisProfile.token, "sub");
        const stream = await probeStream(info.analysisProfile.streamUri);
        assert.equal(stream.codec, "h264");
      }
    } finally {
      for (const camera of cameras) await camera.stop();
      await rtsp.stop();
    }
  });

  Deno.test("a camera that moves to a new IP is found at its new XAddr and still streams", async () => {
    const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const endpointAddress = `urn:uuid:${crypto.randomUUID()}`;
    let camera = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      name: "Mover",
      rtspUrl: rtsp.url,
      rtspRelay: true,
      endpointAddress,
    });
    const responder = await startDiscoveryResponder({ devices: () => [announce(camera)] });
    let addressAdded = false;
    try {
      const registry = new DiscoveryRegistry();
      const events: DiscoveryEvent[] = [];
      registry.subscribe((event) => events.push(event));
      await registry.scan({ windowMs: WINDOW_MS });
      const oldXaddr = camera.xaddr;
      assert.deepEqual(registry.get(deviceId(endpointAddress))?.xaddrs, [oldXaddr]);

      // "DHCP" gives the camera a new address — on this namespace's lo only.
      await ipInNamespace(["addr", "add", "10.99.0.2/32", "dev", "lo"]);
      addressAdded = true;
      await camera.stop();
      camera = await startSimulatedCamera({
        ...CAMERA_CREDENTIALS,
        name: "Mover",
        hostname: "10.99.0.2",
        rtspUrl: rtsp.url,
        rtspRelay: true,
        endpointAddress,
      });
      await registry.scan({ windowMs: WINDOW_MS });

      const moved = events.find((e) => e.type === "discovery.moved");
      assert.ok(moved?.type === "discovery.moved", `events: ${events.map((e) => e.type)}`);
      assert.deepEqual(moved.previousXaddrs, [oldXaddr]);
      assert.deepEqual(moved.device.xaddrs, [camera.xaddr]);
      assert.match(camera.xaddr, /^http:\/\/10\.99\.0\.2:\d+\//);
      const device: DiscoveredDevice | undefined = registry.get(deviceId(endpointAddress));
      assert.equal(registry.list().length, 1, "still one device");

      const info = await adoptDiscoveredDevice(device!, CAMERA_CREDENTIALS);
      assert.equal(new URL(info.recordingProfile.streamUri).hostname, "10.99.0.2");
      assert.equal((await probeStream(info.recordingProfile.streamUri)).codec, "h264");
    } finally {
      await responder.stop();
      await camera.stop();
      await rtsp.stop();
      if (addressAdded) await ipInNamespace(["addr", "del", "10.99.0.2/32", "dev", "lo"]);
    }
  });

  Deno.test("hostile discovery replies are ignored while a real camera is still found", async () => {
    const camera = await startCameraWithResponder({
      name: "Honest",
      rtspUrl: "rtsp://127.0.0.1:1/x",
    });
    const hostile = await startDiscoveryResponder({
      devices: [
        { raw: "<not really xml" },
        {
          raw:
            `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>` +
            `<s:Envelope><s:Body>&b;</s:Body></s:Envelope>`,
        },
        { raw: `<s:Envelope><s:Body>${"<x/>".repeat(10_000)}</s:Body></s:Envelope>` },
        {
          raw:
            `<s:Envelope><s:Header><a:RelatesTo>uuid:another-probe</a:RelatesTo></s:Header><s:Body>` +
            `<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:x</a:Address>` +
            `</a:EndpointReference><d:XAddrs>http://10.1.1.1/</d:XAddrs></d:ProbeMatch>` +
            `</d:ProbeMatches></s:Body></s:Envelope>`,
        },
      ],
    });
    try {
      const registry = new DiscoveryRegistry();
      const { devices, rejected } = await registry.scan({ windowMs: WINDOW_MS });
      assert.deepEqual(devices.map((d) => d.name), ["Honest"]);
      assert.ok(rejected >= 4, `rejected ${rejected}`);
    } finally {
      await hostile.stop();
      await camera.stop();
    }
  });
}

async function ipInNamespace(args: string[]): Promise<void> {
  assertIsolatedNetwork();
  const { success, stderr } = await new Deno.Command("ip", {
    args,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

/** One simulated camera and its responder, as a real camera is both. */
async function startCameraWithResponder(
  options: { name: string; rtspUrl: string; hostname?: string; endpointAddress?: string },
) {
  const camera = await startSimulatedCamera({
    ...CAMERA_CREDENTIALS,
    rtspRelay: true,
    ...options,
  });
  const responder = await startDiscoveryResponder({ devices: [announce(camera)] });
  return {
    camera,
    async stop() {
      await responder.stop();
      await camera.stop();
    },
  };
}

function announce(camera: SimulatedCamera): Announcement {
  return {
    endpointAddress: camera.endpointAddress,
    xaddrs: [camera.xaddr],
    scopes: camera.scopes,
  };
}
