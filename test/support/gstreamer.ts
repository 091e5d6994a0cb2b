/**
 * GStreamer as a second, independent RTSP client (Debian `gstreamer1.0-tools`): it records what
 * it pulls into MP4 the way a media server or NVR would, and it reports the caps it decodes. Its
 * jitter buffer stamps pictures from arrival and RTP time, so it notices what ffmpeg forgives.
 *
 * @module
 */

/** What a finished `gst-launch-1.0` printed. */
export interface GstRun {
  /** Its exit code (after SIGINT it is 0 when the pipeline ended cleanly). */
  code: number;
  /** Everything it printed (stdout and stderr). */
  output: string;
}

/**
 * Runs a pipeline for `seconds`, then asks it to stop (SIGINT, which `-e` turns into an EOS) and
 * kills it if it has not ended 5 s later (rtspsrc sometimes waits for an EOS that never comes,
 * straight from a camera too: the recordings are fragmented so they hold what was written).
 *
 * @param pipeline the elements and properties, as `gst-launch-1.0` arguments
 * @param seconds how long to let it run
 * @returns its exit code and output
 */
export async function runGst(pipeline: string[], seconds: number): Promise<GstRun> {
  const child = new Deno.Command("gst-launch-1.0", {
    args: ["-e", "-v", ...pipeline],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  const stop = setTimeout(() => child.kill("SIGINT"), seconds * 1000);
  const kill = setTimeout(() => child.kill("SIGKILL"), (seconds + 5) * 1000);
  const status = await child.status;
  clearTimeout(stop);
  clearTimeout(kill);
  const [stdout, stderr] = await out;
  return { code: status.code, output: stdout + stderr };
}

/**
 * Records an RTSP stream (TCP) into a fragmented MP4: `rtspsrc ! rtph264depay ! h264parse !
 * mp4mux` — mp4mux refuses a picture without a timestamp ("Buffer has no PTS").
 *
 * @param url the stream
 * @param file the MP4 to write
 * @param seconds how long to record
 * @returns the run
 */
export function recordMp4(url: string, file: string, seconds: number): Promise<GstRun> {
  return runGst([
    ...["rtspsrc", `location=${url}`, "protocols=tcp", "!", "rtph264depay", "!", "h264parse"],
    ...["!", "mp4mux", "fragment-duration=500", "!", "filesink", `location=${file}`],
  ], seconds);
}

/** What ffprobe finds in a recording. */
export interface Recording {
  durationS: number;
  frames: number;
  width: number;
  height: number;
}

/**
 * Probes a recording, decoding every frame.
 *
 * @param file the file
 * @returns duration, frames decoded and size; zeros when ffprobe cannot read it
 */
export async function probeRecording(file: string): Promise<Recording> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      ...["-v", "error", "-count_frames", "-select_streams", "v:0", "-of", "json"],
      ...["-show_entries", "format=duration:stream=nb_read_frames,width,height", file],
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  try {
    const json = JSON.parse(new TextDecoder().decode(out.stdout));
    const stream = json.streams?.[0] ?? {};
    return {
      durationS: Number(json.format?.duration ?? 0),
      frames: Number(stream.nb_read_frames ?? 0),
      width: Number(stream.width ?? 0),
      height: Number(stream.height ?? 0),
    };
  } catch {
    return { durationS: 0, frames: 0, width: 0, height: 0 };
  }
}

/**
 * The picture sizes a pipeline's video caps went through, in order (from `-v` caps lines).
 *
 * @param output a `gst-launch-1.0 -v` run's output
 * @param element the element whose source pad to follow (e.g. `capsfilter0`)
 * @returns `WIDTHxHEIGHT` strings, consecutive repeats removed
 */
export function capsSizes(output: string, element: string): string[] {
  const sizes: string[] = [];
  const line = new RegExp(`${element}\\.GstPad:src: caps = video/x-raw[^\\n]*`, "g");
  for (const m of output.matchAll(line)) {
    const w = /width=\(int\)(\d+)/.exec(m[0])?.[1];
    const h = /height=\(int\)(\d+)/.exec(m[0])?.[1];
    const size = `${w}x${h}`;
    if (w && h && sizes.at(-1) !== size) sizes.push(size);
  }
  return sizes;
}
