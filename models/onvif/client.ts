/**
 * ONVIF onboarding: host, port and credentials in; what Vigil needs to capture and record out.
 * GetSystemDateAndTime (the clock offset) → GetDeviceInformation (wrong credentials fail here) →
 * GetEndpointReference → GetNetworkInterfaces (the MAC) → GetServices, or GetCapabilities on
 * older cameras → GetProfiles → GetStreamUri/GetSnapshotUri per profile, each call with a time
 * and size limit. Why our own client: docs/decisions/own-onvif-client.md.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { createLogger } from "../log.ts";
import {
  clockOffset,
  type DeviceInformation,
  parseXaddr,
  readCapabilitiesMediaXaddr,
  readDeviceInformation,
  readEndpointReference,
  readHwAddresses,
  readServicesMediaXaddr,
  readSystemDateAndTime,
} from "./device_replies.ts";
import { type MediaProfile, readMediaUri, readProfiles } from "./media_replies.ts";
import { OnvifError } from "./onvif_error.ts";
import { chooseProfiles } from "./profile_choice.ts";
import * as requests from "./requests.ts";
import { postSoap } from "./soap_http.ts";
import { fixUriHost } from "./stream_uri.ts";
import { createUsernameToken } from "./ws_security.ts";
import type { XmlElement } from "./xml.ts";
import { lookupNeighbourMac, type NeighbourLookup } from "../net/neighbours.ts";

const log = createLogger("onvif");

/** Default time limit of each SOAP call. */
export const DEFAULT_ONVIF_TIMEOUT_MS = 5000;
/** The device service path nearly every camera uses. */
export const DEFAULT_DEVICE_PATH = "/onvif/device_service";

/** Where and how to reach a camera. */
export interface OnvifTarget {
  /** Host name or IP (IPv6 with or without brackets). */
  host: string;
  /** HTTP port of the device service (default 80). */
  port?: number;
  username: string;
  password: string;
  /** Time limit of each SOAP call (default 5000 ms). */
  timeoutMs?: number;
  /** A full device service URL (an XAddr from discovery); overrides host/port/path. */
  xaddr?: string;
  /** Cancels onboarding. */
  signal?: AbortSignal;
  /** The box's neighbour table (default: the real one); tests on 127.0.0.1 pass their own. */
  neighbours?: NeighbourLookup;
}

/** A profile with its URIs, after the host fix. */
export interface OnvifProfile extends MediaProfile {
  /** RTSP URI (without credentials; the capture adds them). */
  streamUri: string;
  /** JPEG snapshot URI, when the camera offers one. */
  snapshotUri: string | undefined;
}

/** Everything learnt while onboarding; plain JSON, stored with the camera. */
export interface OnvifCameraInfo {
  /** The device service URL that worked. */
  deviceUrl: string;
  /** The media service URL (host fixed). */
  mediaUrl: string;
  /** `urn:uuid:...` from GetEndpointReference, when the camera reports one. */
  endpointAddress: string | undefined;
  /**
   * The camera's link-layer address: the one the box's neighbour table holds for its IP, kept
   * only when the camera reports the same in GetNetworkInterfaces. Undefined when the camera is
   * not on a local link (routed, IPv6, a host name), does not say, or says otherwise; such a
   * camera is never followed to a new address without an admin.
   */
  macAddress: string | undefined;
  deviceInfo: DeviceInformation;
  /** Device clock minus ours, in ms (positive: the camera is ahead). */
  timeOffsetMs: number;
  /** Video profiles that have a stream URI. */
  profiles: OnvifProfile[];
  /** The largest profile: recorded. */
  recordingProfile: OnvifProfile;
  /** The smallest profile holding the analysis frame (models/onvif/profile_choice.ts): analysed. */
  analysisProfile: OnvifProfile;
}

/**
 * Onboards a camera over ONVIF.
 *
 * @param target host/port (or an XAddr), credentials, time limit
 * @returns device information, clock offset, profiles with URIs, and the chosen profiles
 * @throws {ValidationError} when host or port are unusable
 * @throws {OnvifError} `onvif_unauthorized` (wrong credentials), `onvif_not_onvif`,
 *   `onvif_unreachable`, `onvif_timeout`, `onvif_fault`, `onvif_bad_reply`, `onvif_unsupported`
 * @example
 * ```ts
 * const camera = await onboardOnvifCamera({
 *   host: "192.168.1.20", port: 80, username: "admin", password: "secret",
 * });
 * camera.recordingProfile.streamUri; // "rtsp://192.168.1.20:554/Streaming/Channels/101"
 * ```
 */
export async function onboardOnvifCamera(target: OnvifTarget): Promise<OnvifCameraInfo> {
  const deviceUrl = deviceServiceUrl(target);
  const timeoutMs = target.timeoutMs ?? DEFAULT_ONVIF_TIMEOUT_MS;
  let timeOffsetMs = 0;
  const call = (url: URL, request: requests.OnvifRequest, authenticated = true) =>
    postSoap(url, request, {
      timeoutMs,
      signal: target.signal,
      security: authenticated
        ? createUsernameToken({
          username: target.username,
          password: target.password,
          timeOffsetMs,
        })
        : undefined,
    });

  const sentAt = Date.now();
  try {
    const deviceMs = readSystemDateAndTime(
      await call(deviceUrl, requests.getSystemDateAndTime(), false),
    );
    if (deviceMs !== undefined) timeOffsetMs = clockOffset(deviceMs, sentAt, Date.now());
  } catch (error) {
    // A camera that wants credentials even for its clock is non-conformant but exists; carry on
    // with our own clock rather than give up.
    if (!isFault(error)) throw error;
    log.warn("GetSystemDateAndTime failed; assuming the camera's clock matches ours", {
      device: deviceUrl.host,
      error,
    });
  }

  const deviceInfo = readDeviceInformation(await call(deviceUrl, requests.getDeviceInformation()));
  const endpointAddress = await optional(
    () => call(deviceUrl, requests.getEndpointReference()).then(readEndpointReference),
  );
  const macAddress = await confirmedMac(
    deviceUrl,
    () => call(deviceUrl, requests.getNetworkInterfaces()),
    target.neighbours ?? lookupNeighbourMac,
  );
  const mediaUrl = await findMediaUrl(deviceUrl, (request) => call(deviceUrl, request));
  const mediaProfiles = readProfiles(await call(mediaUrl, requests.getProfiles()));
  if (mediaProfiles.length === 0) {
    throw new OnvifError("onvif_unsupported", `onvif: ${deviceUrl.host} has no video profiles`);
  }

  const profiles: OnvifProfile[] = [];
  let firstError: unknown;
  for (const profile of mediaProfiles) {
    try {
      const reported = readMediaUri(await call(mediaUrl, requests.getStreamUri(profile.token)));
      if (!reported) throw new OnvifError("onvif_bad_reply", "onvif: GetStreamUri returned no URI");
      const snapshot = await optional(
        () => call(mediaUrl, requests.getSnapshotUri(profile.token)).then(readMediaUri),
      );
      profiles.push({
        ...profile,
        streamUri: fixedUri(reported, deviceUrl, "stream"),
        snapshotUri: snapshot === undefined ? undefined : fixedUri(snapshot, deviceUrl, "snapshot"),
      });
    } catch (error) {
      if (!isFault(error)) throw error;
      firstError ??= error;
      log.warn("profile skipped: no stream URI", { profile: profile.token, error });
    }
  }
  const choice = chooseProfiles(profiles);
  if (!choice) {
    throw firstError ??
      new OnvifError("onvif_unsupported", `onvif: ${deviceUrl.host} has no streamable profile`);
  }
  log.info("camera onboarded", {
    device: deviceUrl.host,
    model: deviceInfo.model,
    timeOffsetMs,
    profiles: profiles.length,
  });
  return {
    deviceUrl: deviceUrl.href,
    mediaUrl: mediaUrl.href,
    endpointAddress,
    macAddress,
    deviceInfo,
    timeOffsetMs,
    profiles,
    recordingProfile: choice.recording,
    analysisProfile: choice.analysis,
  };
}

/**
 * Whether an ONVIF device still answers at a device service URL, asked without credentials
 * (GetSystemDateAndTime). A SOAP fault or a refusal is an answer too; silence, a refused
 * connection or a server that is not ONVIF is not.
 *
 * @param deviceUrl the device service URL
 * @param timeoutMs time limit
 * @returns true when an ONVIF device answered
 * @example
 * ```ts
 * await answersOnvif("http://10.0.0.5/onvif/device_service", 2000); // false once it moved
 * ```
 */
export async function answersOnvif(deviceUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    await postSoap(new URL(deviceUrl), requests.getSystemDateAndTime(), { timeoutMs });
    return true;
  } catch (error) {
    if (!(error instanceof OnvifError)) throw error;
    return error.code === "onvif_fault" || error.code === "onvif_unauthorized" ||
      error.code === "onvif_bad_reply";
  }
}

/**
 * The device service URL for a target.
 *
 * @param target host/port or xaddr
 * @returns the URL
 * @throws {ValidationError} naming the bad field
 */
export function deviceServiceUrl(target: Pick<OnvifTarget, "host" | "port" | "xaddr">): URL {
  if (target.xaddr !== undefined) {
    try {
      return parseXaddr(target.xaddr, "device XAddr");
    } catch (error) {
      throw new ValidationError(
        error instanceof Error ? error.message : String(error),
        "onvif.xaddr",
      );
    }
  }
  const port = target.port ?? 80;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ValidationError(
      `onvif: port must be an integer from 1 to 65535: current value is ${port}`,
      "onvif.port",
    );
  }
  const host = target.host.trim();
  if (!/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9.-]+)$/.test(host)) {
    throw new ValidationError(
      `onvif: host must be a host name or IP address: current value is ${JSON.stringify(host)}`,
      "onvif.host",
    );
  }
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  try {
    return new URL(`http://${bracketed}:${port}${DEFAULT_DEVICE_PATH}`);
  } catch {
    // The pattern lets through shapes only the URL parser can refuse (":", "999.1.1.1").
    throw new ValidationError(
      `onvif: host must be a host name or IP address: current value is ${JSON.stringify(host)}`,
      "onvif.host",
    );
  }
}

async function findMediaUrl(
  deviceUrl: URL,
  call: (request: requests.OnvifRequest) => Promise<XmlElement>,
): Promise<URL> {
  const fromServices = await optional(() =>
    call(requests.getServices()).then(readServicesMediaXaddr)
  );
  const reported = fromServices ??
    readCapabilitiesMediaXaddr(await call(requests.getCapabilities()));
  if (!reported) {
    throw new OnvifError("onvif_unsupported", `onvif: ${deviceUrl.host} reports no media service`);
  }
  return serviceUrl(reported, deviceUrl, "media");
}

/**
 * A service XAddr as reported, checked and pinned to the device's address: cameras behind NAT or
 * port forwarding report an unreachable host, and if the host is wrong the port probably is too,
 * so both come from the device service URL that worked (the same quirk as stream URIs).
 *
 * @param reported the XAddr the camera reported
 * @param deviceUrl the device service URL that answered
 * @param what the service, for messages (`"media"`, `"PTZ"`)
 * @returns the URL to call
 * @throws {OnvifError} `onvif_bad_reply` when the XAddr is not an http(s) URL
 */
export function serviceUrl(reported: string, deviceUrl: URL, what: string): URL {
  const url = parseXaddr(reported, `${what} XAddr`);
  if (url.hostname !== deviceUrl.hostname) {
    log.warn(`${what} XAddr points elsewhere; using the device address`, {
      reported,
      device: deviceUrl.host,
    });
    url.hostname = deviceUrl.hostname;
    url.port = deviceUrl.port;
  }
  return url;
}

/**
 * The MAC the neighbour table holds for the camera's IP (resolved by the calls just made), when
 * the camera itself reports it. A mismatch means something between us answers for that IP (a
 * proxy, or an ARP spoofer during onboarding): recording its MAC would make it the camera.
 */
async function confirmedMac(
  deviceUrl: URL,
  getNetworkInterfaces: () => Promise<XmlElement>,
  neighbours: NeighbourLookup,
): Promise<string | undefined> {
  const seen = await neighbours(deviceUrl.hostname.replace(/^\[|\]$/g, ""));
  if (!seen) return undefined;
  const reported = await optional(() => getNetworkInterfaces().then(readHwAddresses));
  if (reported?.includes(seen)) return seen;
  log.warn("the camera's MAC is not confirmed; it will not be followed to a new address alone", {
    device: deviceUrl.host,
    neighbourTable: seen,
    reported: reported ?? "GetNetworkInterfaces not supported",
  });
  return undefined;
}

function fixedUri(uri: string, deviceUrl: URL, what: string): string {
  const fixed = fixUriHost(uri, deviceUrl.hostname);
  if (fixed.rewritten) {
    log.warn(`${what} URI host corrected to the device address`, { reported: uri, uri: fixed.uri });
  }
  return fixed.uri;
}

/** A call that may fault without failing onboarding (optional features); other errors propagate. */
async function optional<T>(run: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (isFault(error)) return undefined;
    throw error;
  }
}

function isFault(error: unknown): boolean {
  return error instanceof OnvifError && error.code === "onvif_fault";
}
