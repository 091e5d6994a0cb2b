/**
 * A simulated camera for latency benchmarks: Deno draws every frame (a moving texture with the
 * frame counter of frame_code.ts burned in), hands it to an ffmpeg encoder at the camera's rate
 * and notes when; the encoder sends RTP/H.264 to the GStreamer RTSP server (rtsp_server.py), which
 * serves it like a camera. `sentAt(n)` is the "glass" time of frame n.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { drawFrameCode } from "./frame_code.ts";

/** A running counter camera. */
export interface CounterCamera {
  /** `rtsp://127.0.0.1:PORT/stream`. */
  readonly url: string;
  /** When frame `n` (mod 65536) was handed to the encoder, epoch ms; undefined if unknown. */
  sentAt(n: number): number | undefined;
  /** Frames sent so far. */
  readonly frames: number;
  /** PIDs of its processes (server, encoder), to leave them out of CPU figures. */
  readonly pids: number[];
  stop(): Promise<void>;
}

const SCRIPT = new URL("./rtsp_server.py", import.meta.url);

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", resolve);
  });
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Starts the camera.
 *
 * @param options size, rate and bitrate of the stream
 * @returns the camera, serving once this resolves
 */
export async function startCounterCamera(
  options: { width: number; height: number; fps: number; bitrateKbps: number },
): Promise<CounterCamera> {
  const { width, height, fps } = options;
  const port = freeTcpPort();
  const rtpPort = await freeUdpPort();
  const server = new Deno.Command("/usr/bin/python3", {
    args: [
      decodeURIComponent(SCRIPT.pathname),
      "--port",
      String(port),
      "--rtp-port",
      String(rtpPort),
      "--width",
      String(width),
      "--height",
      String(height),
      "--fps",
      String(fps),
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await lines.read();
  if (!first.value?.startsWith("READY")) throw new Error("counter camera: server did not start");
  void (async () => {
    while (!(await lines.read()).done);
  })();

  const rate = `${options.bitrateKbps}k`;
  const encoder = new Deno.Command("ffmpeg", {
    args: [
      ...["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error"],
      ...["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${width}x${height}`, "-r", String(fps)],
      ...["-i", "pipe:0", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
      ...[
        "-g",
        String(fps),
        "-b:v",
        rate,
        "-maxrate",
        rate,
        "-bufsize",
        `${options.bitrateKbps / 5}k`,
      ],
      ...["-x264-params", "sliced-threads=0"],
      ...["-f", "rtp", "-payload_type", "96", `rtp://127.0.0.1:${rtpPort}?pkt_size=1200`],
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = encoder.stdin.getWriter();

  // A texture twice as wide as the frame, slid a few pixels per frame: motion the encoders
  // downstream must really work on.
  const texture = new Uint8Array(2 * width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < 2 * width; x++) {
      texture[y * 2 * width + x] = 60 + ((x * 3 + y * 2) % 120) + ((x * 7919 + y * 104729) % 23);
    }
  }
  const sent = new Map<number, number>();
  let frames = 0;
  let running = true;
  const start = performance.now();
  const loop = (async () => {
    const frame = new Uint8Array(width * height * 3 / 2).fill(128);
    while (running) {
      const n = frames;
      const shift = (n * 4) % width;
      for (let y = 0; y < height; y++) {
        frame.set(
          texture.subarray(y * 2 * width + shift, y * 2 * width + shift + width),
          y * width,
        );
      }
      drawFrameCode(frame, width, n);
      sent.set(n & 0xffff, Date.now());
      if (sent.size > 4096) sent.delete(sent.keys().next().value!);
      try {
        await writer.write(frame.slice());
      } catch {
        return;
      }
      frames++;
      const due = start + (frames * 1000) / fps;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  })();

  return {
    url: `rtsp://127.0.0.1:${port}/stream`,
    sentAt: (n) => sent.get(n & 0xffff),
    get frames() {
      return frames;
    },
    pids: [server.pid, encoder.pid],
    async stop() {
      running = false;
      await loop;
      await writer.close().catch(() => {});
      for (const child of [encoder, server]) {
        try {
          child.kill("SIGTERM");
        } catch {
          // gone already
        }
        await child.status;
      }
    },
  };
}
