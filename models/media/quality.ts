/**
 * The live quality ladder and the plan of one live stream: which camera stream to read and
 * whether to pass it through or decode, scale and encode it. Pure: what the camera offers and
 * what the viewer asks in, a plan out. Never upscales; a rung reads the smallest stream tall
 * enough; `sub` without a sub-stream is `360p`; `source`/`sub` are copies unless the picture must
 * be re-encoded (annotated, MJPEG, a codec the relay cannot pass). README "Live".
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** Ladder rungs, tallest first. */
export const RUNGS = ["1080p", "720p", "480p", "360p"] as const;
/** One ladder rung. */
export type Rung = typeof RUNGS[number];
/** What a viewer may ask for. */
export const QUALITIES = ["source", "sub", ...RUNGS] as const;
/** One of {@linkcode QUALITIES}. */
export type Quality = typeof QUALITIES[number];

/** Height and H.264 bitrate of each rung (in line with common HLS ladders). */
export const LADDER: Readonly<Record<Rung, { height: number; bitrateKbps: number }>> = {
  "1080p": { height: 1080, bitrateKbps: 4500 },
  "720p": { height: 720, bitrateKbps: 2500 },
  "480p": { height: 480, bitrateKbps: 1200 },
  "360p": { height: 360, bitrateKbps: 700 },
};

/** Codecs the relay passes through without re-encoding (Annex B elementary streams). */
export const COPY_CODECS = ["h264", "h265"] as const;
/** One of {@linkcode COPY_CODECS}. */
export type CopyCodec = typeof COPY_CODECS[number];

/** Which of a camera's streams is read. */
export type CameraStream = "main" | "sub";

/** What is known of a camera stream before it is opened (ONVIF profile). */
export interface StreamHint {
  width: number;
  height: number;
}

/** The streams a camera offers: always a main one; a sub-stream when ONVIF reported one. */
export interface CameraStreams {
  main: StreamHint | undefined;
  sub: StreamHint | undefined;
}

/** A stream as ffprobe describes it. */
export interface ProbedStream {
  codec: string;
  width: number;
  height: number;
}

/** How a live picture is delivered: H.264 (RTSP, HLS) or JPEG frames (MJPEG). */
export type Delivery = "h264" | "jpeg";

/** The plan of one live stream. */
export type LivePlan =
  | {
    mode: "copy";
    stream: CameraStream;
    codec: CopyCodec;
    width: number;
    height: number;
  }
  | {
    mode: "encode";
    stream: CameraStream;
    /** Output codec. */
    codec: "h264" | "mjpeg";
    width: number;
    height: number;
    /** H.264 target bitrate; 0 for MJPEG (quality-based). */
    bitrateKbps: number;
  };

/**
 * Reads what a camera's stored `onvif` column says about its streams. A sub-stream exists when
 * the analysis profile is another profile than the recording (main) one.
 *
 * @param onvif the stored ONVIF info (untyped JSON), or undefined for a plain RTSP camera
 * @returns the main stream's and the sub-stream's sizes, where known
 * @example
 * ```ts
 * cameraStreams(undefined); // { main: undefined, sub: undefined }
 * ```
 */
export function cameraStreams(onvif: unknown): CameraStreams {
  const main = profileOf(onvif, "recordingProfile");
  const sub = profileOf(onvif, "analysisProfile");
  const distinct = main && sub && (main.token !== sub.token || main.uri !== sub.uri);
  return {
    main: main ? { width: main.width, height: main.height } : undefined,
    sub: distinct ? { width: sub.width, height: sub.height } : undefined,
  };
}

/**
 * Picks the camera stream a quality reads, before anything is opened.
 *
 * @param quality what the viewer asked for
 * @param streams what the camera offers
 * @returns the stream to read and the quality actually served (`sub` without a sub-stream is
 *   served as `360p`)
 * @example
 * ```ts
 * chooseStream("360p", { main: { width: 1920, height: 1080 }, sub: { width: 640, height: 360 } });
 * // { stream: "sub", quality: "360p" }
 * ```
 */
export function chooseStream(
  quality: Quality,
  streams: CameraStreams,
): { stream: CameraStream; quality: Quality } {
  if (quality === "source") return { stream: "main", quality };
  if (quality === "sub") {
    return streams.sub ? { stream: "sub", quality } : chooseStream("360p", streams);
  }
  const { sub } = streams;
  return { stream: sub && sub.height >= LADDER[quality].height ? "sub" : "main", quality };
}

/**
 * Plans a live stream once the stream to read has been probed.
 *
 * @param request the quality being served (after {@linkcode chooseStream}), annotation, delivery
 * @param stream which camera stream is read
 * @param probed what ffprobe found in it
 * @returns the plan
 * @throws {ValidationError} when the probed size is unusable
 * @example
 * ```ts
 * planLive({ quality: "720p", annotated: false, delivery: "h264" }, "main",
 *   { codec: "h264", width: 1920, height: 1080 });
 * // { mode: "encode", stream: "main", codec: "h264", width: 1280, height: 720, bitrateKbps: 2500 }
 * ```
 */
export function planLive(
  request: { quality: Quality; annotated: boolean; delivery: Delivery },
  stream: CameraStream,
  probed: ProbedStream,
): LivePlan {
  if (!(probed.width >= 16 && probed.height >= 16 && probed.width <= 8192)) {
    throw new ValidationError(
      `the camera stream has an unusable size ${probed.width}x${probed.height}`,
    );
  }
  const codec = COPY_CODECS.find((c) => c === probed.codec);
  const passThrough = request.quality === "source" || request.quality === "sub";
  if (passThrough && codec && !request.annotated && request.delivery === "h264") {
    return { mode: "copy", stream, codec, width: probed.width, height: probed.height };
  }
  const height = passThrough
    ? even(probed.height)
    : even(Math.min(LADDER[request.quality as Rung].height, probed.height));
  const width = even(Math.round(probed.width * height / probed.height));
  return request.delivery === "jpeg"
    ? { mode: "encode", stream, codec: "mjpeg", width, height, bitrateKbps: 0 }
    : { mode: "encode", stream, codec: "h264", width, height, bitrateKbps: bitrateFor(height) };
}

/**
 * The H.264 bitrate for an output height: the bitrate of the tallest rung not above it, scaled
 * down by area below the smallest rung.
 *
 * @param height output height in pixels
 * @returns kbit/s
 * @example
 * ```ts
 * bitrateFor(720); // 2500
 * bitrateFor(576); // 1200 (the 480p rung)
 * bitrateFor(180); // 175
 * ```
 */
export function bitrateFor(height: number): number {
  for (const rung of RUNGS) {
    if (height >= LADDER[rung].height) return LADDER[rung].bitrateKbps;
  }
  const smallest = LADDER["360p"];
  return Math.max(100, Math.round(smallest.bitrateKbps * (height / smallest.height) ** 2));
}

/**
 * The name of what a plan serves: a rung when its height is one, else `<height>p`.
 *
 * @param plan the plan
 * @returns e.g. `"720p"`, `"576p"`
 */
export function servedAs(plan: LivePlan): string {
  return RUNGS.find((r) => LADDER[r].height === plan.height) ?? `${plan.height}p`;
}

function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

function profileOf(
  onvif: unknown,
  key: "recordingProfile" | "analysisProfile",
): { token: string; uri: string; width: number; height: number } | undefined {
  if (typeof onvif !== "object" || onvif === null || !(key in onvif)) return undefined;
  const p: unknown = (onvif as Record<string, unknown>)[key];
  if (typeof p !== "object" || p === null) return undefined;
  const { token, streamUri, width, height } = p as Record<string, unknown>;
  if (typeof token !== "string" || typeof streamUri !== "string") return undefined;
  if (typeof width !== "number" || typeof height !== "number") return undefined;
  return { token, uri: streamUri, width, height };
}
