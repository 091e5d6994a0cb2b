/**
 * The camera simulator: N fake ONVIF cameras on 127.0.0.1, each with real RTSP streams (a main
 * and a sub profile, served by GStreamer from a test video or a test pattern), for the demo and
 * for trying Vigil without cameras.
 *
 * ```sh
 * deno run -A scripts/simulator.ts --cameras 3
 * deno run -A scripts/simulator.ts --cameras 2 --password secret --clock-offset-s 7200 --base-port 8100
 * ```
 *
 * Prints one JSON line per camera (name, ONVIF host/port/XAddr, credentials, RTSP URLs), then
 * `READY`, and runs until SIGINT/SIGTERM. `--discovery` also answers WS-Discovery probes, which is
 * multicast: it refuses to run outside an isolated network namespace (GUIDE §3).
 *
 * The demo imports {@linkcode startSimulator} instead of running the CLI.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type DiscoveryResponder, startDiscoveryResponder } from "./sim/discovery_responder.ts";
import { type SimulatedCamera, startSimulatedCamera } from "./sim/onvif_camera.ts";
import { type RtspServer, startRtspServer } from "./sim/rtsp_server.ts";

/** A stream size and rate, e.g. `1280x720@15`. */
export interface StreamShape {
  width: number;
  height: number;
  fps: number;
}

/** Options of {@linkcode startSimulator}. */
export interface SimulatorOptions {
  /** How many cameras (default 3). */
  cameras?: number;
  username?: string;
  password?: string;
  /** First ONVIF port; cameras take consecutive ports (default 0: free ports). */
  basePort?: number;
  /** Each camera's clock offset in ms (default 0). */
  clockOffsetMs?: number;
  /** Video file to stream (default assets/media/vtest.avi when present, else a test pattern). */
  source?: string;
  /** Main profile (default 1280x720@15). */
  main?: StreamShape;
  /** Sub profile (default 640x360@10). */
  sub?: StreamShape;
  /** Answer WS-Discovery probes (only inside an isolated network namespace; checked). */
  discovery?: boolean;
}

/** One running simulated camera, as printed by the CLI. */
export interface SimulatedCameraInfo {
  name: string;
  host: string;
  port: number;
  xaddr: string;
  endpointAddress: string;
  username: string;
  password: string;
  mainRtspUrl: string;
  subRtspUrl: string;
}

/** The running simulator. */
export interface Simulator {
  cameras: SimulatedCameraInfo[];
  /** Stops every camera, responder and RTSP server, and awaits them. */
  stop(): Promise<void>;
}

const DEFAULT_MAIN: StreamShape = { width: 1280, height: 720, fps: 15 };
const DEFAULT_SUB: StreamShape = { width: 640, height: 360, fps: 10 };
const NAMES = ["Front door", "Back yard", "Garage", "Driveway", "Lobby", "Warehouse"];

/**
 * Starts simulated cameras on 127.0.0.1.
 *
 * @param options count, credentials, ports, clock offset, video source, stream shapes
 * @returns the cameras and a stop function
 * @example
 * ```ts
 * const sim = await startSimulator({ cameras: 2 });
 * for (const camera of sim.cameras) console.log(camera.xaddr);
 * await sim.stop();
 * ```
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const count = options.cameras ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 32) {
    throw new Error(`simulator: cameras must be from 1 to 32: current value is ${count}`);
  }
  const username = options.username ?? "admin";
  const password = options.password ?? "admin";
  const source = options.source ?? await defaultSource();
  const main = options.main ?? DEFAULT_MAIN;
  const sub = options.sub ?? DEFAULT_SUB;
  const rtspServers: RtspServer[] = [];
  const cameras: SimulatedCamera[] = [];
  const responders: DiscoveryResponder[] = [];
  const infos: SimulatedCameraInfo[] = [];
  const stop = async () => {
    for (const responder of responders) await responder.stop();
    for (const camera of cameras) await camera.stop();
    for (const server of rtspServers) await server.stop();
  };
  try {
    for (let i = 0; i < count; i++) {
      const name = NAMES[i % NAMES.length] + (i >= NAMES.length ? ` ${i + 1}` : "");
      const mainServer = await startRtspServer({ source, path: "/main", ...main });
      rtspServers.push(mainServer);
      const subServer = await startRtspServer({ source, path: "/sub", ...sub });
      rtspServers.push(subServer);
      const camera = await startSimulatedCamera({
        username,
        password,
        port: options.basePort ? options.basePort + i : 0,
        clockOffsetMs: options.clockOffsetMs,
        rtspUrl: mainServer.url,
        subRtspUrl: subServer.url,
        profiles: [
          profile("main", "MainStream", main, mainServer.url),
          profile("sub", "SubStream", sub, subServer.url),
        ],
        name,
        model: "SimCam 1",
        serialNumber: `SIM${String(i + 1).padStart(4, "0")}`,
        location: "demo",
      });
      cameras.push(camera);
      if (options.discovery) {
        responders.push(
          await startDiscoveryResponder({
            devices: [{
              endpointAddress: camera.endpointAddress,
              xaddrs: [camera.xaddr],
              scopes: camera.scopes,
            }],
          }),
        );
      }
      infos.push({
        name,
        host: camera.hostname,
        port: camera.port,
        xaddr: camera.xaddr,
        endpointAddress: camera.endpointAddress,
        username,
        password,
        mainRtspUrl: mainServer.url,
        subRtspUrl: subServer.url,
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { cameras: infos, stop };
}

function profile(token: string, name: string, shape: StreamShape, rtspUrl: string) {
  return { token, name, encoding: "H264", ...shape, bitrateKbps: 1024, rtspUrl };
}

async function defaultSource(): Promise<string | undefined> {
  const path = new URL("../assets/media/vtest.avi", import.meta.url).pathname;
  try {
    await Deno.stat(path);
    return path;
  } catch {
    return undefined;
  }
}

/**
 * Parses `WxH@fps`.
 *
 * @param text e.g. `1280x720@15`
 * @returns the shape
 * @throws Error for anything else
 */
export function parseShape(text: string): StreamShape {
  const m = /^(\d{2,4})x(\d{2,4})@(\d{1,2})$/.exec(text);
  if (!m) throw new Error(`simulator: expected WIDTHxHEIGHT@FPS such as 1280x720@15: ${text}`);
  return { width: Number(m[1]), height: Number(m[2]), fps: Number(m[3]) };
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      cameras: { type: "string", default: "3" },
      username: { type: "string", default: "admin" },
      password: { type: "string", default: "admin" },
      "base-port": { type: "string", default: "0" },
      "clock-offset-s": { type: "string", default: "0" },
      source: { type: "string" },
      main: { type: "string", default: "1280x720@15" },
      sub: { type: "string", default: "640x360@10" },
      discovery: { type: "boolean", default: false },
    },
  });
  const simulator = await startSimulator({
    cameras: Number(values.cameras),
    username: values.username,
    password: values.password,
    basePort: Number(values["base-port"]),
    clockOffsetMs: Number(values["clock-offset-s"]) * 1000,
    source: values.source,
    main: parseShape(values.main),
    sub: parseShape(values.sub),
    discovery: values.discovery,
  });
  for (const camera of simulator.cameras) console.log(JSON.stringify(camera));
  console.log("READY");
  const done = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, done.resolve);
  await done.promise;
  await simulator.stop();
}

if (import.meta.main) await main(Deno.args);
