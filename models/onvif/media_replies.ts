/**
 * Readers for media-service (ver10) replies: profiles with their video encoder settings, and the
 * stream and snapshot URIs.
 *
 * @module
 */
import { childText, findChild, findChildren, type XmlElement } from "./xml.ts";

/** Video codecs Vigil names; anything else is reported as the camera spells it, lowercased. */
export type VideoCodec = "h264" | "h265" | "mjpeg" | "mpeg4" | string;

/** A media profile's video: what a stream of this profile carries. */
export interface MediaProfile {
  /** The profile token (used in every media call). */
  token: string;
  /** The profile's display name. */
  name: string;
  codec: VideoCodec;
  width: number;
  height: number;
  /** Frame rate limit, or undefined when the camera does not say. */
  fps: number | undefined;
  /** Bitrate limit in kbit/s, or undefined. */
  bitrateKbps: number | undefined;
}

const CODECS: Record<string, VideoCodec> = {
  H264: "h264",
  H265: "h265",
  HEVC: "h265",
  JPEG: "mjpeg",
  MJPEG: "mjpeg",
  MPEG4: "mpeg4",
};

/**
 * Reads the profiles of a GetProfilesResponse that carry video. Profiles without a video encoder
 * configuration or resolution (audio-only, metadata) are left out: nothing to capture.
 *
 * @param response the response element
 * @returns the video profiles, in the camera's order
 * @example
 * ```ts
 * readProfiles(response).map((p) => `${p.token} ${p.width}x${p.height}`);
 * ```
 */
export function readProfiles(response: XmlElement): MediaProfile[] {
  const profiles: MediaProfile[] = [];
  for (const profile of findChildren(response, "Profiles")) {
    const token = profile.attributes.token?.trim();
    const encoder = findChild(profile, "VideoEncoderConfiguration");
    const width = positiveInt(childText(encoder, "Resolution", "Width"));
    const height = positiveInt(childText(encoder, "Resolution", "Height"));
    if (!token || !encoder || width === undefined || height === undefined) continue;
    const encoding = (childText(encoder, "Encoding") ?? "").toUpperCase();
    profiles.push({
      token,
      name: childText(profile, "Name") ?? token,
      codec: CODECS[encoding] ?? encoding.toLowerCase(),
      width,
      height,
      fps: positiveNumber(childText(encoder, "RateControl", "FrameRateLimit")),
      bitrateKbps: positiveNumber(childText(encoder, "RateControl", "BitrateLimit")),
    });
  }
  return profiles;
}

/**
 * Reads the URI of a GetStreamUriResponse or GetSnapshotUriResponse.
 *
 * @param response the response element
 * @returns the URI, or undefined when the reply carries none
 */
export function readMediaUri(response: XmlElement): string | undefined {
  return childText(response, "MediaUri", "Uri");
}

function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= 100_000 ? n : undefined;
}

function positiveNumber(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}
