/**
 * Readers for device-service replies: the camera's clock, its identity, and where its media
 * service lives. Each takes the response element returned by `readResponse` (soap.ts).
 *
 * @module
 */
import { normalizeMac } from "../net/neighbours.ts";
import { OnvifError } from "./onvif_error.ts";
import { childText, findChild, findChildren, findDescendant, type XmlElement } from "./xml.ts";

/** What GetDeviceInformation reports. */
export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

/** The ver10 media service namespace, as listed by GetServices. */
export const MEDIA_NAMESPACE = "http://www.onvif.org/ver10/media/wsdl";

/**
 * Reads the camera's UTC time from a GetSystemDateAndTimeResponse. Falls back to the local time
 * when the camera reports no UTC time (a few do), which is then only as right as its time zone.
 *
 * @param response the response element
 * @returns epoch milliseconds, or undefined when the reply carries no usable date
 * @example
 * ```ts
 * const deviceMs = readSystemDateAndTime(response);
 * ```
 */
export function readSystemDateAndTime(response: XmlElement): number | undefined {
  const system = findChild(response, "SystemDateAndTime");
  const dateTime = findChild(system, "UTCDateTime") ?? findChild(system, "LocalDateTime");
  const part = (...path: string[]) => Number(childText(dateTime, ...path));
  const fields = [
    part("Date", "Year"),
    part("Date", "Month"),
    part("Date", "Day"),
    part("Time", "Hour"),
    part("Time", "Minute"),
    part("Time", "Second"),
  ];
  if (!fields.every(Number.isInteger)) return undefined;
  const [year, month, day, hour, minute, second] = fields as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/**
 * The device clock's offset from ours, taking the middle of the round trip as the instant the
 * device read its clock.
 *
 * @param deviceMs the device's time from {@linkcode readSystemDateAndTime}
 * @param sentAt local time the request was sent
 * @param receivedAt local time the reply arrived
 * @returns device minus local, in milliseconds
 * @example
 * ```ts
 * clockOffset(Date.UTC(2026, 0, 1, 12), Date.UTC(2026, 0, 1, 10), Date.UTC(2026, 0, 1, 10)); // 7_200_000
 * ```
 */
export function clockOffset(deviceMs: number, sentAt: number, receivedAt: number): number {
  return Math.round(deviceMs - (sentAt + receivedAt) / 2);
}

/**
 * Reads a GetDeviceInformationResponse; missing fields become `""`.
 *
 * @param response the response element
 * @returns the device information
 */
export function readDeviceInformation(response: XmlElement): DeviceInformation {
  const text = (name: string) => childText(response, name) ?? "";
  return {
    manufacturer: text("Manufacturer"),
    model: text("Model"),
    firmwareVersion: text("FirmwareVersion"),
    serialNumber: text("SerialNumber"),
    hardwareId: text("HardwareId"),
  };
}

/**
 * Reads the link-layer addresses a GetNetworkInterfacesResponse reports (`Info/HwAddress` of each
 * interface), normalized; unusable ones are left out.
 *
 * @param response the response element
 * @returns e.g. `["00:11:22:33:44:55"]`
 */
export function readHwAddresses(response: XmlElement): string[] {
  const macs = findChildren(response, "NetworkInterfaces")
    .map((nic) => normalizeMac(childText(nic, "Info", "HwAddress") ?? ""))
    .filter((mac): mac is string => mac !== undefined);
  return [...new Set(macs)];
}

/**
 * Reads the media service XAddr from a GetServicesResponse.
 *
 * @param response the response element
 * @returns the XAddr, or undefined when no ver10 media service is listed
 */
export function readServicesMediaXaddr(response: XmlElement): string | undefined {
  const service = findChildren(response, "Service")
    .find((s) => childText(s, "Namespace") === MEDIA_NAMESPACE);
  return childText(service, "XAddr");
}

/**
 * Reads the XAddr of any service from a GetServicesResponse.
 *
 * @param response the response element
 * @param namespace the service's namespace (`http://www.onvif.org/ver20/ptz/wsdl`)
 * @returns the XAddr, or undefined when the service is not listed
 */
export function readServiceXaddr(response: XmlElement, namespace: string): string | undefined {
  const service = findChildren(response, "Service")
    .find((s) => childText(s, "Namespace") === namespace);
  return childText(service, "XAddr");
}

/**
 * Reads the XAddr of a capability category from a GetCapabilitiesResponse (older cameras).
 *
 * @param response the response element
 * @param category `PTZ`, `Events`, `Media`...
 * @returns the XAddr, or undefined when the camera lists no such capability
 */
export function readCapabilityXaddr(response: XmlElement, category: string): string | undefined {
  return childText(findChild(response, "Capabilities"), category, "XAddr");
}

/**
 * Reads the media service XAddr from a GetCapabilitiesResponse.
 *
 * @param response the response element
 * @returns the XAddr, or undefined when the camera lists no media capability
 */
export function readCapabilitiesMediaXaddr(response: XmlElement): string | undefined {
  return childText(findChild(response, "Capabilities"), "Media", "XAddr");
}

/**
 * Reads the endpoint reference address from a GetEndpointReferenceResponse (`GUID`), normalized to
 * the `urn:uuid:` form WS-Discovery uses so both can be compared.
 *
 * @param response the response element
 * @returns e.g. `urn:uuid:0a1b...`, or undefined
 */
export function readEndpointReference(response: XmlElement): string | undefined {
  const guid = childText(response, "GUID") ?? findDescendant(response, "Address")?.text.trim();
  if (!guid) return undefined;
  const address = normalizeEndpointAddress(guid);
  return isEndpointAddress(address) ? address : undefined;
}

/**
 * Whether a (normalized) endpoint address can serve as a device's identity: a URI of at most 512
 * characters, so no whitespace, no control character — a NUL from a hostile device would make
 * the camera row unstorable (found by the parser fuzzer).
 *
 * @param address normalized address
 * @returns true when usable
 */
export function isEndpointAddress(address: string): boolean {
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  return address.length > 0 && address.length <= 512 && !/[\s\x00-\x1f\x7f]/.test(address);
}

/**
 * Normalizes an endpoint address: a bare UUID or `uuid:` form becomes `urn:uuid:<lowercase>`;
 * anything else is returned trimmed.
 *
 * @param address as reported
 * @returns the normalized address
 * @example
 * ```ts
 * normalizeEndpointAddress("UUID:0A1B2C3D-0000-4000-8000-000000000001");
 * // "urn:uuid:0a1b2c3d-0000-4000-8000-000000000001"
 * ```
 */
export function normalizeEndpointAddress(address: string): string {
  const uuid =
    /^(?:urn:)?(?:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i
      .exec(address.trim())?.[1];
  return uuid ? `urn:uuid:${uuid.toLowerCase()}` : address.trim();
}

/**
 * Checks that an XAddr is an http(s) URL before it is called.
 *
 * @param xaddr as reported
 * @param what for the message (`"media XAddr"`)
 * @returns the parsed URL
 * @throws {OnvifError} `onvif_bad_reply` for anything else
 */
export function parseXaddr(xaddr: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(xaddr);
  } catch {
    throw new OnvifError(
      "onvif_bad_reply",
      `onvif: ${what} is not a URL: ${JSON.stringify(xaddr)}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OnvifError(
      "onvif_bad_reply",
      `onvif: ${what} is not http(s): ${JSON.stringify(xaddr)}`,
    );
  }
  return url;
}
