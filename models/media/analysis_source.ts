/**
 * Which stream a camera's analysis decodes. Analysis reads the hub's `sub` stream; this says what
 * feeds it: the configured `analysisUrl` when there is one, else an ONVIF camera's analysis
 * profile (the smallest profile holding the analysis frame, models/onvif/profile_choice.ts), else
 * the camera's own source. Live, recording and the relay's `/cam/<id>` keep the main stream;
 * boxes are stored normalised to the frame (0..1), so a box found on the sub-stream lands at the
 * same place on the main one (a sub-stream shows the same field of view).
 *
 * @module
 */
import { validateSourceUrl } from "./rtsp_url.ts";

/** Where the analysed stream comes from. */
export type AnalysisOrigin = "analysisUrl" | "onvifProfile" | "rtspUrl";

/** The stream a camera's analysis decodes. */
export interface AnalysisSource {
  /** What chose it. */
  from: AnalysisOrigin;
  /** Its URL without credentials (the camera's apply). */
  url: string;
  /** The ONVIF profile, when one was chosen (its token and reported size). */
  profile: { token: string; width: number | null; height: number | null } | null;
}

/**
 * The stream analysis decodes, from what is stored with a camera.
 *
 * @param camera its source URL, configured analysis URL and stored `onvif` column (untyped JSON)
 * @returns where analysis reads; an ONVIF URI that is not a usable RTSP URL is passed over
 * @example
 * ```ts
 * analysisSource({ sourceUrl: "rtsp://cam/main", analysisUrl: "rtsp://cam/sub", onvif: null });
 * // { from: "analysisUrl", url: "rtsp://cam/sub", profile: null }
 * ```
 */
export function analysisSource(
  camera: { sourceUrl: string; analysisUrl?: string | undefined; onvif: unknown },
): AnalysisSource {
  if (camera.analysisUrl) return { from: "analysisUrl", url: camera.analysisUrl, profile: null };
  const profile = onvifAnalysisProfile(camera.onvif);
  if (profile) return { from: "onvifProfile", url: profile.streamUri, profile: profile.summary };
  return { from: "rtspUrl", url: camera.sourceUrl, profile: null };
}

function onvifAnalysisProfile(onvif: unknown) {
  if (typeof onvif !== "object" || onvif === null || !("analysisProfile" in onvif)) return;
  const p = onvif.analysisProfile as Record<string, unknown> | null;
  if (typeof p?.streamUri !== "string" || typeof p.token !== "string") return;
  try {
    validateSourceUrl(p.streamUri, { field: "streamUri" });
  } catch {
    return;
  }
  const size = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v : null;
  return {
    streamUri: p.streamUri,
    summary: { token: p.token, width: size(p.width), height: size(p.height) },
  };
}
