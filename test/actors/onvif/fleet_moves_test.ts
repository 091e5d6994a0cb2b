/**
 * The whole ONVIF path through the real server process, on a simulated LAN of private network
 * namespaces (the only place WS-Discovery multicast may go — GUIDE §3; test/support/lan.ts): the
 * server in one, the cameras in another, joined by a bridge, so the cameras have a real MAC.
 * Three simulated cameras answer a scan asked through the API, are adopted and captured until
 * `live`; then one camera "gets a new IP from DHCP" on the same interface (same MAC) and the
 * server's scheduled discovery (VIGIL_DISCOVERY_INTERVAL_S) finds it there, checks it is the
 * camera (old address silent, reply from the announced address, same MAC, same serial — issue
 * 17), re-onboards it and its capture resumes — without any API call.
 *
 * The outer test builds the LAN, re-runs THIS file inside it (where {@linkcode NETNS_ENV} is set
 * and only the inner test is registered) and deletes it.
 */
import assert from "node:assert/strict";
import {
  type Announcement,
  assertIsolatedNetwork,
  type DiscoveryResponder,
  startDiscoveryResponder,
} from "../../../scripts/sim/discovery_responder.ts";
import {
  CAMERA_CREDENTIALS,
  NETNS_ENV,
  passedInRun,
  type SimulatedCamera,
  startSimulatedCamera,
} from "../../support/onvif.ts";
import { lanFromEnv, linkMac, runTestOnLan } from "../../support/lan.ts";
import { startRtspServer } from "../../support/rtsp.ts";
import { startServer } from "../../support/server_process.ts";

/** Seconds between the server's own scans (the smallest the config allows). */
const INTERVAL_S = 10;
/** A bound that proves the cameras go live at all; the log line prints the real figures. */
const LIVE_WITHIN_MS = 45_000;
/** The moved camera's new address: on the cameras' interface, so its MAC stays the same. */
const NEW_ADDRESS = "10.99.0.4";

if (Deno.env.get(NETNS_ENV) === undefined) {
  Deno.test("ONVIF cameras are discovered, adopted and followed to a new IP (in a network namespace)", async () => {
    const run = await runTestOnLan(new URL(import.meta.url).pathname, 240_000);
    if (run.code !== 0) console.error(run.output);
    assert.equal(run.code, 0, "the test inside the namespace failed (output above)");
    assert.ok(passedInRun(run, "three discovered cameras go live"), "the inner test passed");
    for (const line of run.output.split("\n").filter((l) => l.startsWith("measured:"))) {
      console.log(line);
    }
  });
} else {
  assertIsolatedNetwork();

  Deno.test({
    name: "three discovered cameras go live, and one that moves to a new IP resumes by itself",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const lan = lanFromEnv();
      const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
      const dataDir = await Deno.makeTempDir({ prefix: "vigil-onvif-fleet-" });
      const cameras: SimulatedCamera[] = [];
      const responders: DiscoveryResponder[] = [];
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      let addressAdded = false;
      try {
        for (const name of ["Gate", "Yard", "Garage"]) {
          const camera = await startSimulatedCamera({
            ...CAMERA_CREDENTIALS,
            name,
            hostname: lan.camAddress,
            rtspUrl: rtsp.url,
            rtspRelay: true,
          });
          cameras.push(camera);
          responders.push(await respondFor(camera, lan.camAddress));
        }
        server = await startServer({
          VIGIL_DATA_DIR: dataDir,
          VIGIL_DISCOVERY_INTERVAL_S: String(INTERVAL_S),
        }, { netns: lan.box, hostname: lan.boxAddress });
        assert.ok(responders.every((r) => r.probes === 0), "the server does not probe at start");
        const token = (await Deno.readTextFile(`${dataDir}/admin-token`)).trim();
        const api = apiClient(server.base, token);

        const scan = await api("POST", "/api/discovery/scan", { windowMs: 1500 });
        assert.equal(scan.status, 200, JSON.stringify(scan.body));
        const devices = scan.body.devices;
        assert.deepEqual(devices.map((d) => d.name).sort(), ["Garage", "Gate", "Yard"]);
        assert.ok(devices.every((d) => !d.onboarded));

        const ids = new Map<string, string>();
        const adoptStarted = performance.now();
        for (const device of devices) {
          const adopted = await api("POST", `/api/discovery/${device.id}/adopt`, {
            ...CAMERA_CREDENTIALS,
          });
          assert.equal(adopted.status, 201, JSON.stringify(adopted.body));
          ids.set(device.name, adopted.body.id);
        }
        const adoptMs = performance.now() - adoptStarted;
        const captureStarted = performance.now();
        for (const id of ids.values()) {
          const started = await api("POST", `/api/cameras/${id}/capture`, { action: "start" });
          assert.equal(started.status, 200);
        }
        for (const [name, id] of ids) {
          await waitForCamera(api, id, (c) => c.state.stream === "live", LIVE_WITHIN_MS, name);
        }
        const allLiveMs = performance.now() - captureStarted;
        const listed = await api("GET", "/api/discovery");
        assert.ok(listed.body.items.every((d) => d.onboarded));

        // DHCP gives "Yard" a new address on the same interface: same MAC, same camera.
        await ipInNamespace(["addr", "add", `${NEW_ADDRESS}/${lan.prefix}`, "dev", lan.camLink]);
        addressAdded = true;
        const yardIndex = cameras.findIndex((c) => c.scopes.some((s) => s.endsWith("/Yard")));
        const old = cameras[yardIndex]!;
        cameras[yardIndex] = await startSimulatedCamera({
          ...CAMERA_CREDENTIALS,
          name: "Yard",
          hostname: NEW_ADDRESS,
          rtspUrl: rtsp.url,
          rtspRelay: true,
          endpointAddress: old.endpointAddress,
        });
        await old.stop();
        // It answers discovery from its new address, as a camera with one address does.
        await responders[yardIndex]!.stop();
        responders[yardIndex] = await respondFor(cameras[yardIndex]!, lan.camAddress);
        const movedAt = performance.now();

        // No API call from here: the server's scheduled scan must find it and resume capture.
        const yard = ids.get("Yard")!;
        const resumed = await waitForCamera(
          api,
          yard,
          (c) => c.state.stream === "live" && new URL(c.rtspUrl).hostname === NEW_ADDRESS,
          INTERVAL_S * 1000 + 3000 + LIVE_WITHIN_MS,
          "Yard at its new address",
        );
        const resumedMs = performance.now() - movedAt;
        assert.equal(new URL(resumed.onvif.deviceUrl).hostname, NEW_ADDRESS);
        assert.equal(resumed.onvif.macAddress, linkMac(lan.camLink), "the same MAC");
        assert.equal(resumed.suspectedMove, null);
        for (const [name, id] of ids) {
          await waitForCamera(api, id, (c) => c.state.stream === "live", LIVE_WITHIN_MS, name);
        }
        assert.ok(
          server.lines.some((l) => l.includes("camera moved; source refreshed")),
          "the server logged the move",
        );
        assert.ok(
          !server.lines.some((l) => l.includes(CAMERA_CREDENTIALS.password)),
          "no log line carries the camera password",
        );
        console.log(
          `measured: adopt 3 cameras ${adoptMs.toFixed(0)} ms; all live ` +
            `${allLiveMs.toFixed(0)} ms after capture start; moved camera live again ` +
            `${resumedMs.toFixed(0)} ms after the move (scan interval ${INTERVAL_S} s)`,
        );
      } finally {
        if (server) await server.stop();
        for (const responder of responders) await responder.stop();
        for (const camera of cameras) await camera.stop();
        await rtsp.stop();
        if (addressAdded) {
          await ipInNamespace(["addr", "del", `${NEW_ADDRESS}/${lan.prefix}`, "dev", lan.camLink]);
        }
        await Deno.remove(dataDir, { recursive: true });
      }
    },
  });
}

interface ApiCamera {
  rtspUrl: string;
  onvif: { deviceUrl: string; macAddress?: string };
  suspectedMove: unknown;
  state: { stream: string };
}

/** The reply fields the test reads; everything else is ignored. */
interface Reply {
  id: string;
  devices: { id: string; name: string; onboarded: boolean }[];
  items: { onboarded: boolean }[];
}

/** A JSON call to the server; the reply type is what the test expects and then asserts. */
type Api = <T = Reply>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: T }>;

function apiClient(base: string, token: string): Api {
  return async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
}

async function waitForCamera(
  api: Api,
  id: string,
  done: (camera: ApiCamera) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ApiCamera> {
  const started = performance.now();
  let last: ApiCamera | undefined;
  while (performance.now() - started < timeoutMs) {
    last = (await api<ApiCamera>("GET", `/api/cameras/${id}`)).body;
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not there after ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

async function ipInNamespace(args: string[]): Promise<void> {
  assertIsolatedNetwork();
  const { success, stderr } = await new Deno.Command("ip", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

function announce(camera: SimulatedCamera): Announcement {
  return { endpointAddress: camera.endpointAddress, xaddrs: [camera.xaddr], scopes: camera.scopes };
}

/** A responder for one camera, joined on the cameras' interface, replying from its address. */
function respondFor(
  camera: SimulatedCamera,
  interfaceAddress: string,
): Promise<DiscoveryResponder> {
  return startDiscoveryResponder({
    devices: [announce(camera)],
    interfaceAddress,
    replyFrom: camera.hostname,
  });
}
