/**
 * A media-server stand-in for live tests, the way the seed's media server works: ffmpeg reading
 * an RTSP stream (pulled from a URL, or accepting one publisher with `-rtsp_flags listen`) and
 * writing HLS with `-c copy`, while a second output decodes the picture and reports each frame's
 * size (showinfo), so a test sees what a player would see and when.
 *
 * @module
 */
import assert from "node:assert/strict";
import { freePort } from "./postgres_cluster.ts";

/** A frame size the stand-in decoded, and when. */
export interface SeenSize {
  at: number;
  width: number;
  height: number;
}

/** A running stand-in. */
export interface MediaServer {
  /** Where a session pushes to (listen mode). */
  readonly url: string;
  /** Directory of the HLS it writes. */
  readonly dir: string;
  /** Distinct frame sizes in order of appearance. */
  readonly sizes: SeenSize[];
  /** Frames decoded. */
  frames(): number;
  /** ffprobe of the newest complete HLS segment. */
  probeLatest(): Promise<{ codec: string; width: number; height: number }>;
  /** Stops ffmpeg (and removes its directory). */
  stop(): Promise<void>;
}

/**
 * Starts the stand-in.
 *
 * @param source `{ listen: true }` to accept a publisher, or `{ pull: url }` to read a URL
 * @param options `decode: false` to only write HLS (no frame sizes; cheaper)
 * @returns the stand-in
 */
export async function startMediaServer(
  source: { listen: true } | { pull: string },
  options: { decode?: boolean } = {},
): Promise<MediaServer> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-media-" });
  const url = "pull" in source ? source.pull : `rtsp://127.0.0.1:${freePort()}/live/stand-in`;
  const input = "pull" in source
    ? ["-rtsp_transport", "tcp", "-i", url]
    : ["-rtsp_flags", "listen", "-timeout", "30", "-i", url];
  const child = new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-hide_banner",
      "-loglevel",
      "info",
      ...input,
      "-map",
      "0:v",
      "-c",
      "copy",
      "-f",
      "hls",
      "-hls_time",
      "1",
      "-hls_list_size",
      "0",
      `${dir}/index.m3u8`,
      ...(options.decode === false ? [] : ["-map", "0:v", "-vf", "showinfo", "-f", "null", "-"]),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const sizes: SeenSize[] = [];
  let frames = 0;
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        const m = /Parsed_showinfo.* s:(\d+)x(\d+) /.exec(line);
        if (!m) continue;
        frames++;
        const [width, height] = [Number(m[1]), Number(m[2])];
        const last = sizes.at(-1);
        if (!last || last.width !== width || last.height !== height) {
          sizes.push({ at: Date.now(), width, height });
        }
      }
    }
  })();
  if ("listen" in source) await untilListening(Number(new URL(url).port), child.status);
  return {
    url,
    dir,
    sizes,
    frames: () => frames,
    async probeLatest() {
      const playlist = await Deno.readTextFile(`${dir}/index.m3u8`).catch(() => "");
      const segments = playlist.split("\n").filter((l) => l.endsWith(".ts"));
      const latest = segments.at(-1);
      assert.ok(latest, "the stand-in wrote no segment");
      const out = await new Deno.Command("ffprobe", {
        args: [
          "-v",
          "error",
          "-select_streams",
          "v:0",
          "-show_entries",
          "stream=codec_name,width,height",
          "-of",
          "json",
          `${dir}/${latest}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const stream = JSON.parse(new TextDecoder().decode(out.stdout)).streams[0];
      return { codec: stream.codec_name, width: stream.width, height: stream.height };
    },
    async stop() {
      try {
        child.kill("SIGINT");
      } catch {
        // exited already
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited during the grace period
        }
      }, 2000);
      await child.status;
      clearTimeout(timer);
      await reading.catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Waits until ffmpeg in listen mode has bound its port, read from /proc/net/tcp: a probing
 * connection would be taken as its one publisher.
 *
 * @param port the port it was told to listen on
 * @param exited settles if ffmpeg exits first
 * @throws AssertionError when it does not listen within 20 s
 */
async function untilListening(port: number, exited: Promise<unknown>): Promise<void> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let gone = false;
  exited.then(() => gone = true);
  for (let waited = 0; waited < 20_000 && !gone; waited += 50) {
    const table = await Deno.readTextFile("/proc/net/tcp");
    // Columns: sl, local_address (hex ip:port), rem_address, st (0A = LISTEN), ...
    const rows = table.split("\n").map((row) => row.trim().split(/\s+/));
    if (rows.some((row) => row[1]?.endsWith(local) && row[3] === "0A")) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`the stand-in ffmpeg did not listen on port ${port}`);
}
