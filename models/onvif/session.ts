/**
 * A working connection to an onboarded camera, for the services used after onboarding (PTZ,
 * events): the clock offset measured again (a camera's clock drifts, or resets on a reboot), the
 * PTZ and event service XAddrs found through GetServices, or GetCapabilities on older cameras,
 * and authenticated calls with the same time and size limits as onboarding (soap_http.ts).
 *
 * @module
 */
import { readCapabilityXaddr, readServiceXaddr, readSystemDateAndTime } from "./device_replies.ts";
import { clockOffset } from "./device_replies.ts";
import { DEFAULT_ONVIF_TIMEOUT_MS, serviceUrl } from "./client.ts";
import { OnvifError } from "./onvif_error.ts";
import { PTZ_NAMESPACE } from "./ptz.ts";
import * as requests from "./requests.ts";
import { postSoap } from "./soap_http.ts";
import { createUsernameToken } from "./ws_security.ts";
import type { XmlElement } from "./xml.ts";

/** The event service namespace, as GetServices lists it. */
export const EVENTS_NAMESPACE = "http://www.onvif.org/ver10/events/wsdl";

/** How to reach an onboarded camera (from its row and its sealed password). */
export interface OnvifAccess {
  /** The device service URL onboarding used. */
  deviceUrl: string;
  username: string;
  password: string;
  /** The offset onboarding measured; used if the camera will not tell its time now. */
  timeOffsetMs?: number;
  /** Time limit of each call (default 5000 ms). */
  timeoutMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  /** WS-Addressing header elements (event subscriptions). */
  addressing?: string;
  /** This call's time limit, when it must differ (a long poll). */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** An open session with a camera. */
export interface OnvifSession {
  deviceUrl: URL;
  /** Device clock minus ours, in ms. */
  timeOffsetMs: number;
  /** The PTZ service, when the camera has one. */
  ptzUrl: URL | undefined;
  /** The event service, when the camera has one. */
  eventsUrl: URL | undefined;
  /**
   * An authenticated call.
   *
   * @throws {OnvifError} as `postSoap` does
   */
  call(url: URL, request: requests.OnvifRequest, options?: CallOptions): Promise<XmlElement>;
}

/**
 * Opens a session: the camera's clock, then its services.
 *
 * @param access where the camera is and its credentials
 * @param signal cancels the opening calls
 * @returns the session
 * @throws {OnvifError} when the camera cannot be reached or refuses the credentials
 * @example
 * ```ts
 * const session = await openOnvifSession({ deviceUrl, username: "admin", password: "pw" });
 * if (session.ptzUrl) await session.call(session.ptzUrl, getPresets("main"));
 * ```
 */
export async function openOnvifSession(
  access: OnvifAccess,
  signal?: AbortSignal,
): Promise<OnvifSession> {
  const deviceUrl = new URL(access.deviceUrl);
  const timeoutMs = access.timeoutMs ?? DEFAULT_ONVIF_TIMEOUT_MS;
  let timeOffsetMs = access.timeOffsetMs ?? 0;
  const sentAt = Date.now();
  try {
    const reply = await postSoap(deviceUrl, requests.getSystemDateAndTime(), { timeoutMs, signal });
    const deviceMs = readSystemDateAndTime(reply);
    if (deviceMs !== undefined) timeOffsetMs = clockOffset(deviceMs, sentAt, Date.now());
  } catch (error) {
    // A camera that wants credentials for its clock: keep the offset measured at onboarding.
    if (!(error instanceof OnvifError) || error.code !== "onvif_fault") throw error;
  }
  const call = (url: URL, request: requests.OnvifRequest, options: CallOptions = {}) =>
    postSoap(url, request, {
      timeoutMs: options.timeoutMs ?? timeoutMs,
      signal: options.signal ?? signal,
      addressing: options.addressing,
      security: createUsernameToken({
        username: access.username,
        password: access.password,
        timeOffsetMs,
      }),
    });
  const services = await findServices(deviceUrl, (request) => call(deviceUrl, request));
  return { deviceUrl, timeOffsetMs, ...services, call };
}

async function findServices(
  deviceUrl: URL,
  call: (request: requests.OnvifRequest) => Promise<XmlElement>,
): Promise<{ ptzUrl: URL | undefined; eventsUrl: URL | undefined }> {
  let ptz: string | undefined;
  let events: string | undefined;
  try {
    const services = await call(requests.getServices());
    ptz = readServiceXaddr(services, PTZ_NAMESPACE);
    events = readServiceXaddr(services, EVENTS_NAMESPACE);
  } catch (error) {
    if (!(error instanceof OnvifError) || error.code !== "onvif_fault") throw error;
  }
  if (ptz === undefined || events === undefined) {
    // GetServices is ONVIF 2.0+; an older camera lists its services only as capabilities.
    try {
      const capabilities = await call(requests.getCapabilities());
      ptz ??= readCapabilityXaddr(capabilities, "PTZ");
      events ??= readCapabilityXaddr(capabilities, "Events");
    } catch (error) {
      if (!(error instanceof OnvifError) || error.code !== "onvif_fault") throw error;
    }
  }
  return {
    ptzUrl: ptz === undefined ? undefined : serviceUrl(ptz, deviceUrl, "PTZ"),
    eventsUrl: events === undefined ? undefined : serviceUrl(events, deviceUrl, "events"),
  };
}
