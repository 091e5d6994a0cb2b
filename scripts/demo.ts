/**
 * `deno task demo`: the fastest way to see Vigil work on any machine, with no camera. It starts
 * N simulated ONVIF cameras on 127.0.0.1 (real RTSP streams from GStreamer), starts the real
 * server, onboards each camera through the API by address (ONVIF, no multicast), starts capture,
 * attaches analytics with the default settings (when the detection model is installed), waits
 * for every camera to be `live`, and prints the URLs to open. Ctrl-C stops everything.
 *
 * ```sh
 * deno task demo                         # 3 cameras, server on :8080, data in a temp dir
 * deno task demo --cameras 2 --port 9000 --data-dir ./data/demo --no-analytics
 * ```
 *
 * The server's log goes to `<data dir>/server.log`; the data dir is removed at exit unless it was
 * given with `--data-dir`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startSimulator } from "./simulator.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** How long the server may take to listen (embedded database start included). */
const SERVER_START_MS = 60_000;
/** How long each camera may take to reach `live` after capture starts. */
const LIVE_WITHIN_MS = 30_000;
/** Wait after every camera is live before printing frame rates. */
const FPS_SETTLE_MS = 3000;
/** After SIGTERM, how long the server gets before SIGKILL (its own deadline is 10 s). */
const SERVER_STOP_GRACE_MS = 12_000;

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  cameras: number;
  port: number;
  /** Data dir to use and keep; undefined → a temp dir removed at exit. */
  dataDir: string | undefined;
  analytics: boolean;
}

interface CameraReply {
  id: string;
  name: string;
  rtspUrl: string;
  state: { stream: string; fps: number | null; lastError: string | null };
}

/**
 * Runs the demo until `stop` resolves, then stops the server and the cameras by PID.
 *
 * @param options cameras, port, data dir, analytics
 * @param stop resolves when the demo should end (Ctrl-C)
 * @throws Error when the server does not start or a camera cannot be onboarded
 */
export async function runDemo(options: DemoOptions, stop: Promise<void>): Promise<void> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "vigil-demo-" });
  await Deno.mkdir(dataDir, { recursive: true });
  say(`starting ${options.cameras} simulated ONVIF camera(s) on 127.0.0.1 ...`);
  const simulator = await startSimulator({ cameras: options.cameras });
  let server: ServerChild | undefined;
  try {
    for (const camera of simulator.cameras) {
      say(`  ${camera.name}: ONVIF ${camera.xaddr} (user ${camera.username})`);
    }
    say(`starting the server on 127.0.0.1:${options.port} (log: ${dataDir}/server.log) ...`);
    server = await startServerChild(options.port, dataDir);
    const base = `http://127.0.0.1:${server.port}`;
    const token = (await Deno.readTextFile(`${dataDir}/admin-token`)).trim();
    const api = apiClient(base, token);

    const ids: string[] = [];
    for (const camera of simulator.cameras) {
      const body = {
        name: camera.name,
        onvif: {
          host: camera.host,
          port: camera.port,
          username: camera.username,
          password: camera.password,
        },
      };
      let created = await api<CameraReply>("POST", "/api/cameras", body);
      if (created.status === 409) {
        // A kept data dir holds the camera from an earlier run, at an old port: replace it.
        await removeCameraNamed(api, camera.name);
        created = await api<CameraReply>("POST", "/api/cameras", body);
      }
      if (created.status !== 201) {
        throw new Error(`onboarding ${camera.name} failed: ${JSON.stringify(created.body)}`);
      }
      ids.push(created.body.id);
      say(`onboarded ${camera.name} over ONVIF → capturing ${created.body.rtspUrl}`);
      const capture = await api("POST", `/api/cameras/${created.body.id}/capture`, {
        action: "start",
      });
      if (capture.status !== 200) {
        throw new Error(`capture of ${camera.name} failed: ${JSON.stringify(capture.body)}`);
      }
      if (options.analytics) {
        const attached = await api("PUT", `/api/cameras/${created.body.id}/analytics`, {});
        say(
          attached.status === 200
            ? `  analytics attached (default settings)`
            : `  analytics not attached (${attached.status}: ${JSON.stringify(attached.body)})`,
        );
      }
    }

    say("waiting for every camera to be live ...");
    await Promise.all(ids.map((id) => waitLive(api, id)));
    // Frame rates are averaged over the last seconds: read them once they mean something.
    await new Promise((r) => setTimeout(r, FPS_SETTLE_MS));
    const states = await Promise.all(
      ids.map(async (id) => (await api<CameraReply>("GET", `/api/cameras/${id}`)).body),
    );
    for (const camera of states) {
      const { stream, fps, lastError } = camera.state;
      say(
        `  ${camera.name.padEnd(12)} ${stream.padEnd(10)} ` +
          (fps === null ? "" : `${fps.toFixed(1)} fps `) +
          (lastError ? `(last error: ${lastError})` : ""),
      );
    }

    const auth = `-H "Authorization: Bearer ${token}"`;
    say(`
Vigil is running with ${ids.length} simulated camera(s). Open:
  health:      ${base}/api/health
  cameras:     curl ${auth} ${base}/api/cameras
  discovery:   curl ${auth} ${base}/api/discovery
${
      states.map((c) =>
        `  ${
          c.name.padEnd(12)
        } curl ${auth} -o "${c.name}.jpg" ${base}/api/cameras/${c.id}/snapshot.jpg`
      ).join("\n")
    }
  admin token: ${token} (in ${dataDir}/admin-token)
Press Ctrl-C to stop.`);
    await stop;
    say("stopping ...");
  } finally {
    if (server) await server.stop();
    await simulator.stop();
    if (options.dataDir === undefined) await Deno.remove(dataDir, { recursive: true });
  }
}

interface ServerChild {
  port: number;
  stop(): Promise<void>;
}

/** Starts `main.ts` and waits for its `listening` log line; its log is appended to a file. */
async function startServerChild(port: number, dataDir: string): Promise<ServerChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: { VIGIL_PORT: String(port), VIGIL_HOST: "127.0.0.1", VIGIL_DATA_DIR: dataDir },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(`${dataDir}/server.log`, {
    create: true,
    append: true,
    write: true,
  });
  const listening = Promise.withResolvers<number>();
  const recent: string[] = [];
  const reading = (async () => {
    const encoder = new TextEncoder();
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      await log.write(encoder.encode(chunk));
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (line.includes('"msg":"listening"')) listening.resolve(JSON.parse(line).port);
      }
    }
    if (rest) recent.push(rest);
    const { code } = await child.status;
    listening.reject(
      new Error(`the server exited (code ${code}) before listening:\n${recent.join("\n")}`),
    );
  })();
  const timer = setTimeout(
    () => listening.reject(new Error(`the server did not listen in ${SERVER_START_MS} ms`)),
    SERVER_START_MS,
  );
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const killer = setTimeout(() => child.kill("SIGKILL"), SERVER_STOP_GRACE_MS);
    await child.status;
    clearTimeout(killer);
    await reading;
    log.close();
  };
  try {
    return { port: await listening.promise, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

type Api = <T = unknown>(
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
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

async function removeCameraNamed(api: Api, name: string): Promise<void> {
  const list = await api<{ items: CameraReply[] }>("GET", "/api/cameras?limit=500");
  const old = list.body.items.find((c) => c.name === name);
  if (old) await api("DELETE", `/api/cameras/${old.id}`);
}

/** Polls a camera until it is live or {@linkcode LIVE_WITHIN_MS} passed (its state tells why). */
async function waitLive(api: Api, id: string): Promise<void> {
  const started = Date.now();
  let camera = (await api<CameraReply>("GET", `/api/cameras/${id}`)).body;
  while (camera.state.stream !== "live" && Date.now() - started < LIVE_WITHIN_MS) {
    await new Promise((r) => setTimeout(r, 250));
    camera = (await api<CameraReply>("GET", `/api/cameras/${id}`)).body;
  }
}

function say(text: string): void {
  console.log(text);
}

/**
 * Reads the demo's command line.
 *
 * @param args `--cameras N`, `--port P` (default `$VIGIL_PORT` or 8080), `--data-dir DIR`,
 *   `--no-analytics`
 * @returns the options
 * @throws Error naming a bad value
 */
export function parseDemoArgs(args: string[]): DemoOptions {
  const { values } = parseArgs({
    args,
    options: {
      cameras: { type: "string", default: "3" },
      port: { type: "string", default: Deno.env.get("VIGIL_PORT") || "8080" },
      "data-dir": { type: "string" },
      "no-analytics": { type: "boolean", default: false },
    },
  });
  const cameras = Number(values.cameras);
  if (!Number.isInteger(cameras) || cameras < 1 || cameras > 16) {
    throw new Error(`demo: --cameras must be from 1 to 16: current value is ${values.cameras}`);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new Error(`demo: --port must be from 0 to 65535: current value is ${values.port}`);
  }
  return {
    cameras,
    port,
    dataDir: values["data-dir"],
    analytics: !values["no-analytics"],
  };
}

if (import.meta.main) {
  const stop = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop.resolve);
  try {
    await runDemo(parseDemoArgs(Deno.args), stop.promise);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
  Deno.exit(0);
}
