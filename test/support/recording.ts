/**
 * Helpers of the recording tests: what ffprobe says of a file, waiting for the recorder, and the
 * indexed segments of a camera.
 *
 * @module
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { TestApp } from "./app.ts";
import { waitFor } from "./rtsp.ts";

/** What ffprobe says of a media file. */
export interface ProbedFile {
  durationS: number;
  codec: string;
  width: number;
  height: number;
  startTimeS: number;
}

/**
 * Probes a file as a player would open it; fails the test when ffprobe cannot.
 *
 * @param path the file
 * @returns duration, codec, size and start time
 */
export async function probe(path: string): Promise<ProbedFile> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "format=duration,start_time:stream=codec_name,width,height",
      "-of",
      "json",
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `ffprobe ${path}: ${new TextDecoder().decode(out.stderr)}`);
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  const stream = json.streams?.[0];
  assert.ok(stream, `${path} has no video stream`);
  return {
    durationS: Number(json.format.duration),
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    startTimeS: Number(json.format.start_time),
  };
}

/**
 * Decodes every frame of a file (a stronger check than a probe: the whole file plays).
 *
 * @param path the file
 * @returns frames decoded
 */
export async function decodeFrames(path: string): Promise<number> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-i", path, "-map", "0:v:0", "-f", "null", "-", "-progress", "pipe:1"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.ok(out.success, `decoding ${path}: ${stderr}`);
  assert.equal(stderr, "", `decoding ${path} reported errors`);
  const frames = [...new TextDecoder().decode(out.stdout).matchAll(/^frame=(\d+)$/gm)].at(-1);
  return Number(frames?.[1] ?? 0);
}

/**
 * Counts the video frames ffprobe decodes in a file, warnings allowed (a clip joined across a
 * handover repeated one DTS at the junction in test/cluster/clip_handover_test.ts; it plays).
 *
 * @param path the file
 * @returns frames read
 */
export async function countFrames(path: string): Promise<number> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
      ...["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `ffprobe ${path}: ${new TextDecoder().decode(out.stderr)}`);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** One indexed segment. */
export interface SegmentInfo {
  path: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  bytes: number;
}

/**
 * The indexed segments of a camera, oldest first.
 *
 * @param sql the database
 * @param camera camera id
 * @returns the segments
 */
export async function segmentsOf(sql: postgres.Sql, camera: string): Promise<SegmentInfo[]> {
  const rows = await sql<
    { path: string; started_at: Date; ended_at: Date; duration_ms: number; bytes: string }[]
  >`select path, started_at, ended_at, duration_ms, bytes from segments
    where camera_id = ${camera} order by started_at`;
  return rows.map((r) => ({
    path: r.path,
    startMs: r.started_at.getTime(),
    endMs: r.ended_at.getTime(),
    durationMs: r.duration_ms,
    bytes: Number(r.bytes),
  }));
}

/**
 * Waits until the camera's recorder writes (its ffmpeg reports progress).
 *
 * @param app the test app
 * @param camera camera id
 * @param timeoutMs give up after
 */
export async function waitRecording(app: TestApp, camera: string, timeoutMs = 45_000) {
  await waitFor(
    () => app.fleet.recorderStats(camera)?.state === "recording",
    timeoutMs,
    "the recorder to write",
  );
}

/**
 * Polls a compile job until it is done (or failed).
 *
 * @param app the test app
 * @param id the job
 * @param timeoutMs give up after
 * @returns the job as the API shows it
 */
export async function waitCompiled(
  app: TestApp,
  id: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await (await app.call("GET", `/api/records/${id}`)).json();
    if (job.state === "done" || job.state === "failed") return job;
    if (Date.now() > deadline) throw new Error(`compile ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
