/**
 * The PTZ service (ver20) as Vigil uses it: continuous velocity moves with a timeout, stop,
 * presets (list, go to, save), the home position, and the node's limits and the current position
 * read from the replies. Request builders and reply readers only; the calls are made by
 * `OnvifSession` (session.ts) and their lifecycle is actors/onvif/ptz_control.ts's.
 *
 * @module
 */
import type { OnvifRequest } from "./requests.ts";
import { childText, escapeXml, findChild, findChildren, findPath, type XmlElement } from "./xml.ts";

/** The PTZ service namespace, as GetServices lists it. */
export const PTZ_NAMESPACE = "http://www.onvif.org/ver20/ptz/wsdl";

/** A velocity or a position: pan and tilt (x, y) and zoom, each normalized. */
export interface PtzVector {
  pan: number;
  tilt: number;
  zoom: number;
}

/** A range of one axis. */
export interface AxisRange {
  min: number;
  max: number;
}

/** What the camera's PTZ node allows. */
export interface PtzLimits {
  pan: AxisRange;
  tilt: AxisRange;
  zoom: AxisRange;
  /** Most presets the node keeps, when it says. */
  maxPresets: number | undefined;
  /** Whether the node has a home position. */
  homeSupported: boolean;
}

/** A stored preset. */
export interface PtzPreset {
  token: string;
  name: string;
}

/** The ONVIF normalized generic velocity space, when a camera reports no node. */
export const DEFAULT_PTZ_LIMITS: PtzLimits = {
  pan: { min: -1, max: 1 },
  tilt: { min: -1, max: 1 },
  zoom: { min: -1, max: 1 },
  maxPresets: undefined,
  homeSupported: true,
};

/** Longest preset name Vigil sends (cameras commonly keep 32–64 characters). */
export const MAX_PRESET_NAME = 64;
/** Most presets read from one reply; a hostile device listing more is cut here. */
export const MAX_PRESETS = 256;

function ptz(name: string, body: string): OnvifRequest {
  return { name, action: `${PTZ_NAMESPACE}/${name}`, body };
}

function profile(token: string): string {
  return `<tptz:ProfileToken>${escapeXml(token)}</tptz:ProfileToken>`;
}

/**
 * Formats a duration for ONVIF (`xs:duration`), whole milliseconds kept.
 *
 * @param ms a duration, at least 0
 * @returns e.g. `PT2.5S`
 */
export function isoDuration(ms: number): string {
  return `PT${Math.max(0, Math.round(ms)) / 1000}S`;
}

/**
 * A continuous move at a velocity, ended by the camera after `timeoutMs`.
 *
 * @param profileToken the media profile with the PTZ configuration
 * @param velocity pan, tilt and zoom speeds, each in -1..1
 * @param timeoutMs when the camera stops on its own
 * @returns the request
 * @example
 * ```ts
 * continuousMove("main", { pan: 0.5, tilt: 0, zoom: 0 }, 5000);
 * ```
 */
export function continuousMove(
  profileToken: string,
  velocity: PtzVector,
  timeoutMs: number,
): OnvifRequest {
  return ptz(
    "ContinuousMove",
    `<tptz:ContinuousMove>${profile(profileToken)}<tptz:Velocity>` +
      `<tt:PanTilt x="${velocity.pan}" y="${velocity.tilt}"/><tt:Zoom x="${velocity.zoom}"/>` +
      `</tptz:Velocity><tptz:Timeout>${isoDuration(timeoutMs)}</tptz:Timeout>` +
      `</tptz:ContinuousMove>`,
  );
}

/**
 * Stops pan, tilt and zoom.
 *
 * @param profileToken the profile
 * @returns the request
 */
export function stopMove(profileToken: string): OnvifRequest {
  return ptz(
    "Stop",
    `<tptz:Stop>${profile(profileToken)}<tptz:PanTilt>true</tptz:PanTilt>` +
      `<tptz:Zoom>true</tptz:Zoom></tptz:Stop>`,
  );
}

/**
 * Lists the presets of a profile.
 *
 * @param profileToken the profile
 * @returns the request
 */
export function getPresets(profileToken: string): OnvifRequest {
  return ptz("GetPresets", `<tptz:GetPresets>${profile(profileToken)}</tptz:GetPresets>`);
}

/**
 * Moves to a preset.
 *
 * @param profileToken the profile
 * @param presetToken the preset's token
 * @returns the request
 */
export function gotoPreset(profileToken: string, presetToken: string): OnvifRequest {
  return ptz(
    "GotoPreset",
    `<tptz:GotoPreset>${profile(profileToken)}` +
      `<tptz:PresetToken>${escapeXml(presetToken)}</tptz:PresetToken></tptz:GotoPreset>`,
  );
}

/**
 * Moves to the home position.
 *
 * @param profileToken the profile
 * @returns the request
 */
export function gotoHomePosition(profileToken: string): OnvifRequest {
  return ptz(
    "GotoHomePosition",
    `<tptz:GotoHomePosition>${profile(profileToken)}</tptz:GotoHomePosition>`,
  );
}

/**
 * Saves the current position as a preset: a new one, or over `presetToken`.
 *
 * @param profileToken the profile
 * @param name the preset's name
 * @param presetToken an existing preset to overwrite
 * @returns the request
 */
export function setPreset(profileToken: string, name: string, presetToken?: string): OnvifRequest {
  const token = presetToken === undefined
    ? ""
    : `<tptz:PresetToken>${escapeXml(presetToken)}</tptz:PresetToken>`;
  return ptz(
    "SetPreset",
    `<tptz:SetPreset>${profile(profileToken)}<tptz:PresetName>${escapeXml(name)}` +
      `</tptz:PresetName>${token}</tptz:SetPreset>`,
  );
}

/**
 * The current position and move status.
 *
 * @param profileToken the profile
 * @returns the request
 */
export function getStatus(profileToken: string): OnvifRequest {
  return ptz("GetStatus", `<tptz:GetStatus>${profile(profileToken)}</tptz:GetStatus>`);
}

/** The PTZ nodes (their spaces, preset count, home support). */
export const getNodes = (): OnvifRequest => ptz("GetNodes", "<tptz:GetNodes/>");

/**
 * Reads a GetPresetsResponse. Presets without a token are left out; a missing name becomes the
 * token.
 *
 * @param response the response element
 * @returns at most {@linkcode MAX_PRESETS} presets, in the camera's order
 */
export function readPresets(response: XmlElement): PtzPreset[] {
  const presets: PtzPreset[] = [];
  for (const preset of findChildren(response, "Preset")) {
    if (presets.length === MAX_PRESETS) break;
    const token = preset.attributes.token?.trim();
    if (!token || token.length > 64) continue;
    presets.push({ token, name: (childText(preset, "Name") ?? token).slice(0, MAX_PRESET_NAME) });
  }
  return presets;
}

/**
 * Reads the token a SetPresetResponse returns.
 *
 * @param response the response element
 * @returns the token, or undefined when the camera sent none
 */
export function readPresetToken(response: XmlElement): string | undefined {
  return childText(response, "PresetToken");
}

/**
 * Reads the position of a GetStatusResponse.
 *
 * @param response the response element
 * @returns pan, tilt, zoom, or undefined when the camera does not report a position
 */
export function readPosition(response: XmlElement): PtzVector | undefined {
  const position = findPath(response, "PTZStatus", "Position");
  const panTilt = findChild(position, "PanTilt");
  const pan = Number(panTilt?.attributes.x);
  const tilt = Number(panTilt?.attributes.y);
  const zoom = Number(findChild(position, "Zoom")?.attributes.x ?? 0);
  if (![pan, tilt, zoom].every(Number.isFinite)) return undefined;
  return { pan, tilt, zoom };
}

/**
 * Reads the first node of a GetNodesResponse: the continuous velocity ranges, the preset count
 * and home support. Missing parts keep the generic defaults.
 *
 * @param response the response element
 * @returns the limits
 */
export function readLimits(response: XmlElement): PtzLimits {
  const node = findChild(response, "PTZNode");
  if (!node) return DEFAULT_PTZ_LIMITS;
  const spaces = findChild(node, "SupportedPTZSpaces");
  const panTilt = findChild(spaces, "ContinuousPanTiltVelocitySpace");
  const zoom = findChild(spaces, "ContinuousZoomVelocitySpace");
  const maxPresets = Number(childText(node, "MaximumNumberOfPresets"));
  return {
    pan: range(findChild(panTilt, "XRange"), DEFAULT_PTZ_LIMITS.pan),
    tilt: range(findChild(panTilt, "YRange"), DEFAULT_PTZ_LIMITS.tilt),
    zoom: zoom ? range(findChild(zoom, "XRange"), DEFAULT_PTZ_LIMITS.zoom) : { min: 0, max: 0 },
    maxPresets: Number.isInteger(maxPresets) && maxPresets >= 0 ? maxPresets : undefined,
    homeSupported: childText(node, "HomeSupported") !== "false",
  };
}

function range(element: XmlElement | undefined, fallback: AxisRange): AxisRange {
  const min = Number(childText(element, "Min"));
  const max = Number(childText(element, "Max"));
  return element && Number.isFinite(min) && Number.isFinite(max) && min <= max
    ? { min, max }
    : fallback;
}
