/**
 * Test helpers for ONVIF: simulated cameras that are always stopped, an HTTP server that is not a
 * camera, ffprobe of a stream URI, and running a test file inside a private network namespace
 * (GUIDE §3: the only place multicast may be sent).
 *
 * @module
 */
import {
  type SimulatedCamera,
  type SimulatedCameraOptions,
  startSimulatedCamera,
} from "../../scripts/sim/onvif_camera.ts";

export { type SimulatedCamera, startSimulatedCamera };

/** Credentials every simulated camera in the tests uses. */
export const CAMERA_CREDENTIALS = { username: "admin", password: "cam-secret" } as const;

/**
 * Runs `fn` with a simulated camera (default credentials {@linkcode CAMERA_CREDENTIALS}) and
 * stops it afterwards, even when `fn` throws.
 *
 * @param options camera options (credentials may be left out)
 * @param fn the test body
 * @returns what `fn` returns
 */
export async function withSimulatedCamera<T>(
  options: Omit<SimulatedCameraOptions, "username" | "password"> & {
    username?: string;
    password?: string;
  },
  fn: (camera: SimulatedCamera) => Promise<T>,
): Promise<T> {
  const camera = await startSimulatedCamera({ ...CAMERA_CREDENTIALS, ...options });
  try {
    return await fn(camera);
  } finally {
    await camera.stop();
  }
}

/**
 * Runs `fn` with an HTTP server on 127.0.0.1 that answers every request with `handler` (default:
 * an HTML 404 page, like a router's web UI) and stops it afterwards.
 *
 * @param fn the test body, given the port
 * @param handler the server's answer
 * @returns what `fn` returns
 */
export async function withHttpServer<T>(
  fn: (port: number) => Promise<T>,
  handler: (request: Request) => Response | Promise<Response> = () =>
    new Response("<!DOCTYPE html><html><body>Not Found</body></html>", {
      status: 404,
      headers: { "content-type": "text/html" },
    }),
): Promise<T> {
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => listening.resolve(port),
  }, handler);
  try {
    return await fn(await listening.promise);
  } finally {
    await server.shutdown();
  }
}

/** What ffprobe saw in a stream. */
export interface ProbedStream {
  codec: string;
  width: number;
  height: number;
}

/**
 * Opens an RTSP URI with ffprobe (TCP, 10 s socket timeout) and reads its video stream.
 *
 * @param uri the stream URI
 * @returns codec and size of the first video stream
 * @throws Error with ffprobe's message when the stream does not open
 */
export async function probeStream(uri: string): Promise<ProbedStream> {
  const { success, stdout, stderr } = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-rtsp_transport",
      "tcp",
      "-timeout",
      "10000000",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=codec_name,width,height",
      "-of",
      "json",
      uri,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`ffprobe ${uri} failed: ${new TextDecoder().decode(stderr)}`);
  const parsed: { streams?: { codec_name?: string; width?: number; height?: number }[] } = JSON
    .parse(new TextDecoder().decode(stdout));
  const stream = parsed.streams?.[0];
  if (!stream?.codec_name || !stream.width || !stream.height) {
    throw new Error(`ffprobe ${uri}: no video stream`);
  }
  return { codec: stream.codec_name, width: stream.width, height: stream.height };
}

/** Environment variable set for a test file run inside a namespace (its value: the name). */
export const NETNS_ENV = "VIGIL_TEST_NETNS";

/** What a run inside a namespace produced. */
export interface NamespaceRun {
  code: number;
  /** stdout and stderr, interleaved by stream (stdout first). */
  output: string;
}

/**
 * Whether the inner run reports a test as passed: `<name> ... ok`, also when Deno put its
 * one-minute notice in between (`<name> ...'<name>' has been running for over (1m0s)` and then
 * ` ok (1m4s)` on the next line), as it does for a slow test on a loaded box.
 *
 * @param run the inner run
 * @param name words from the test's name
 * @returns true when that test passed
 */
export function passedInRun(run: NamespaceRun, name: string): boolean {
  const words = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const notice = "'[^\\n]*' has been running for over \\([^)]*\\)\\n";
  return new RegExp(`${words}[^\\n]* \\.\\.\\.(?:${notice})? ok \\(`).test(run.output);
}

/**
 * Runs `deno test` on one file inside a network namespace made for this run: only `lo`, up, with
 * multicast (224.0.0.0/4) routed to it. The namespace is deleted afterwards whatever happens, and a
 * run over `timeoutMs` is killed (by PID) and awaited.
 *
 * The inner run sees {@linkcode NETNS_ENV}; npm modules must already be cached (the namespace has
 * no route to the registry), which the outer run guarantees by having loaded the same file.
 *
 * @param file test file path
 * @param timeoutMs limit for the inner run
 * @returns exit code and output of the inner `deno test`
 * @throws Error when `ip` is missing or the namespace cannot be made (needs root)
 */
export async function runTestInNetworkNamespace(
  file: string,
  timeoutMs = 180_000,
): Promise<NamespaceRun> {
  const name = `vt${Deno.pid}`;
  await ip(["netns", "add", name]);
  try {
    await ip(["-n", name, "link", "set", "lo", "up"]);
    await ip(["-n", name, "route", "add", "224.0.0.0/4", "dev", "lo"]);
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", name, Deno.execPath(), "test", "-A", "--no-check", file],
      env: { [NETNS_ENV]: name, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      const { code, stdout, stderr } = await child.output();
      const decoder = new TextDecoder();
      return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await ip(["netns", "del", name]);
  }
}

async function ip(args: string[]): Promise<void> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command("ip", { args, stdin: "null", stdout: "null", stderr: "piped" })
      .output();
  } catch (error) {
    throw new Error(`'ip' (iproute2) is needed for namespace tests: ${error}`);
  }
  if (!result.success) {
    throw new Error(
      `ip ${args.join(" ")} failed: ${new TextDecoder().decode(result.stderr).trim()}`,
    );
  }
}
