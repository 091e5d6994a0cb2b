/**
 * A real RTSP server on 127.0.0.1 for tests, benchmarks and the camera simulator: GStreamer's
 * gst-rtsp-server (scripts/sim/rtsp_server.py, run with Debian's /usr/bin/python3) serving H.264
 * over TCP and UDP. The default source is GStreamer's moving test pattern, encoded per client (a
 * new client's first frame is a keyframe, so it connects fast). With `source`, an ffmpeg loops the
 * video file (`-re -stream_loop -1`, continuous timestamps), encodes it to H.264 and sends RTP to
 * the server on a loopback UDP port; all clients share that stream. It can be stopped and started
 * again on the same port, so tests can pull the plug on a "camera". Also a silent server that
 * accepts TCP connections and never answers, for stall tests.
 *
 * Needs: gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-{base,good,bad,ugly}
 * gstreamer1.0-libav.
 *
 * @module
 */

import { createSocket } from "node:dgram";

/** Options for {@linkcode startRtspServer}. */
export interface RtspServerOptions {
  /** Video file to serve, looped forever (fed by ffmpeg). Default: a moving test pattern. */
  source?: string;
  /** TCP port. Default: a free port picked at start (kept across restarts). */
  port?: number;
  /** Mount path. Default `"/stream"`. */
  path?: string;
  /** Served width. Default 640. */
  width?: number;
  /** Served height. Default 360. */
  height?: number;
  /** Served frame rate. Default 25. */
  fps?: number;
  /**
   * One pipeline shared by all clients (cheaper with many clients, but a client joining late
   * waits up to a second for a keyframe). Default false: each client gets its own pipeline.
   */
  shared?: boolean;
  /** Credentials the camera asks for, with Basic or Digest (RFC 2617, MD5). Default: none. */
  auth?: { scheme: "basic" | "digest"; username: string; password: string };
  /** The session timeout the camera announces, seconds. Default GStreamer's 60. */
  sessionTimeoutS?: number;
  /** Refuses RTP over TCP (a UDP-only camera): SETUP with TCP gets 461. Default false. */
  udpOnly?: boolean;
  /** Python with `gi` and GstRtspServer. Default `/usr/bin/python3` (Debian's). */
  python?: string;
}

/** A running (or stopped) RTSP server. */
export interface RtspServer {
  /** `rtsp://127.0.0.1:PORT/PATH`. */
  readonly url: string;
  /** The TCP port, the same across restarts. */
  readonly port: number;
  /** PID of the server process, `null` while stopped. */
  readonly pid: number | null;
  /** PID of the ffmpeg feeding a file source, `null` without `source` or while stopped. */
  readonly feederPid: number | null;
  /** RTSP client connections accepted since the first start (across restarts). */
  readonly clientsConnected: number;
  /** RTSP client connections open now. */
  readonly clientsOpen: number;
  /** OPTIONS and GET_PARAMETER requests received (what keeps a session alive), by method. */
  readonly requests: Readonly<Record<"OPTIONS" | "GET_PARAMETER", number>>;
  /** Starts the server again if it is stopped; resolves once it listens. */
  start(): Promise<void>;
  /** Kills the server (SIGTERM, then SIGKILL) and awaits its exit. Idempotent. */
  stop(): Promise<void>;
  /** `stop()` then `start()` on the same port. */
  restart(): Promise<void>;
}

const SCRIPT = new URL("./rtsp_server.py", import.meta.url);
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2000;

/**
 * Starts an RTSP server and waits until it listens.
 *
 * @param options source, port, path, size, rate
 * @returns the server handle
 * @throws Error when the server does not come up within 10 s
 * @example
 * ```ts
 * const server = await startRtspServer();
 * // ffmpeg -rtsp_transport tcp -i server.url …
 * await server.stop();
 * ```
 */
export async function startRtspServer(options: RtspServerOptions = {}): Promise<RtspServer> {
  const path = options.path ?? "/stream";
  if (!path.startsWith("/")) throw new Error(`rtsp_server: path must start with '/': ${path}`);
  let port = options.port ?? freePort();
  let child: Running | null = null;
  const clients = { connected: 0, open: 0 };
  const requests = { OPTIONS: 0, GET_PARAMETER: 0 };

  const spawn = async (): Promise<void> => {
    // A new server process has no client yet (a killed one never said "CLIENT closed").
    clients.open = 0;
    const args = [
      decodeURIComponent(SCRIPT.pathname),
      "--port",
      String(port),
      "--path",
      path,
      "--width",
      String(options.width ?? 640),
      "--height",
      String(options.height ?? 360),
      "--fps",
      String(options.fps ?? 25),
    ];
    const rtpPort = options.source ? await freeUdpPort() : 0;
    if (rtpPort) args.push("--rtp-port", String(rtpPort));
    if (options.shared) args.push("--shared");
    if (options.auth) {
      args.push("--auth", options.auth.scheme, "--username", options.auth.username);
      args.push("--password", options.auth.password);
    }
    if (options.sessionTimeoutS) args.push("--session-timeout", String(options.sessionTimeoutS));
    if (options.udpOnly) args.push("--udp-only");
    const proc = new Deno.Command(options.python ?? "/usr/bin/python3", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = drain(proc.stderr);
    let stdoutDone: Promise<void> = Promise.resolve();
    const ready = await waitReady(proc.stdout, (rest) => stdoutDone = rest, (line) => {
      if (line === "CLIENT connected") {
        clients.connected++;
        clients.open++;
      } else if (line === "CLIENT closed") clients.open--;
      else if (line === "REQUEST OPTIONS") requests.OPTIONS++;
      else if (line === "REQUEST GET_PARAMETER") requests.GET_PARAMETER++;
    });
    const running: Running = { proc, pipes: Promise.all([stderr, stdoutDone]).then(() => {}) };
    if (!ready) {
      await kill(running);
      throw new Error(`rtsp_server: did not start on port ${port}: ${(await stderr).trim()}`);
    }
    if (options.source) {
      const feeder = new Deno.Command("ffmpeg", {
        args: feederArgs(options.source, rtpPort, options),
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      running.feeder = { proc: feeder, pipes: drain(feeder.stderr).then(() => {}) };
    }
    child = running;
  };

  const server: RtspServer = {
    get url() {
      return `rtsp://127.0.0.1:${port}${path}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.proc.pid ?? null;
    },
    get feederPid() {
      return child?.feeder?.proc.pid ?? null;
    },
    get clientsConnected() {
      return clients.connected;
    },
    get clientsOpen() {
      return clients.open;
    },
    get requests() {
      return requests;
    },
    async start() {
      if (child) return;
      await spawn();
    },
    async stop() {
      const proc = child;
      child = null;
      if (proc) await kill(proc);
    },
    async restart() {
      await server.stop();
      await server.start();
    },
  };

  // A port picked for us can be taken between the probe and the bind; try a few others.
  for (let attempt = 0;; attempt++) {
    try {
      await spawn();
      return server;
    } catch (err) {
      if (options.port !== undefined || attempt >= 3) throw err;
      port = freePort();
    }
  }
}

/** A TCP server that accepts connections and never says a word. */
export interface SilentServer {
  /** `rtsp://HOST:PORT/silent`. */
  readonly url: string;
  /** The TCP port. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Closes the listener and every accepted connection. */
  stop(): Promise<void>;
}

/**
 * Starts a server that accepts TCP connections and never answers (a hung camera).
 *
 * @param hostname address to listen on (default 127.0.0.1)
 * @returns the server; stop it when done
 * @example
 * ```ts
 * const silent = startSilentServer();
 * // ffmpeg -i silent.url hangs until its -timeout
 * await silent.stop();
 * ```
 */
export function startSilentServer(hostname = "127.0.0.1"): SilentServer {
  const listener = Deno.listen({ hostname, port: 0 });
  const conns = new Set<Deno.Conn>();
  let accepted = 0;
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        conns.add(conn);
      }
    } catch {
      // listener closed
    }
  })();
  const port = listener.addr.port;
  return {
    url: `rtsp://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}/silent`,
    port,
    get accepted() {
      return accepted;
    },
    async stop() {
      try {
        listener.close();
      } catch {
        // already closed
      }
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // peer already gone
        }
      }
      conns.clear();
      await loop;
    },
  };
}

/** ffmpeg arguments that loop a file in real time and send it as RTP/H.264 to the server. */
function feederArgs(source: string, rtpPort: number, o: RtspServerOptions): string[] {
  const fps = o.fps ?? 25;
  return [
    ...["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error"],
    ...["-re", "-stream_loop", "-1", "-i", source, "-an", "-sn", "-dn"],
    ...["-vf", `fps=${fps},scale=${o.width ?? 640}:${o.height ?? 360},format=yuv420p`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", String(fps)],
    // A capped VBV keeps keyframes small: a burst of ~100 UDP packets on loopback overflows the
    // receiver's socket buffer (rmem_max), and a lost keyframe smears a still scene until the next.
    ...["-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "300k"],
    // One slice per frame: with zerolatency's sliced threads the first slice of every frame was
    // lost between the feeder and the server, leaving the top of the picture smeared.
    ...["-x264-params", "sliced-threads=0"],
    ...["-f", "rtp", "-payload_type", "96", `rtp://127.0.0.1:${rtpPort}?pkt_size=1200`],
  ];
}

async function freeUdpPort(): Promise<number> {
  const sock = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, "127.0.0.1", resolve);
  });
  const port = sock.address().port;
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

interface Running {
  proc: Deno.ChildProcess;
  /** Settles when stdout and stderr are drained. */
  pipes: Promise<void>;
  /** The ffmpeg feeding a file source. */
  feeder?: Running;
}

async function waitReady(
  stdout: ReadableStream<Uint8Array>,
  onRest: (rest: Promise<void>) => void,
  onLine: (line: string) => void,
): Promise<boolean> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => reader.cancel().catch(() => {}), READY_TIMEOUT_MS);
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      text += value;
      if (/^READY \d+$/m.test(text)) {
        // Keep reading (the server must never block on a full pipe) and report client lines.
        let rest = text.slice(text.search(/^READY \d+$/m)).split("\n").slice(1).join("\n");
        const lines = () => {
          const parts = rest.split("\n");
          rest = parts.pop() ?? "";
          for (const line of parts) onLine(line.trim());
        };
        lines();
        onRest((async () => {
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              rest += value;
              lines();
            }
          } catch {
            // process gone
          }
        })());
        return true;
      }
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  let tail = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      tail = (tail + chunk).slice(-4000);
    }
  } catch {
    // process gone
  }
  return tail;
}

async function kill({ proc, pipes, feeder }: Running): Promise<void> {
  if (feeder) await kill(feeder);
  try {
    proc.kill("SIGTERM");
  } catch {
    // already exited
  }
  const timer = setTimeout(() => {
    try {
      proc.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, STOP_GRACE_MS);
  await proc.status;
  clearTimeout(timer);
  await pipes;
}
