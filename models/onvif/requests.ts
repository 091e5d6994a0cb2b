/**
 * The bodies of the ONVIF calls Vigil makes (device service ver10 and media service ver10), and
 * the SOAPAction of each (some cameras route on the HTTP `action` parameter, not on the body).
 *
 * @module
 */
import { escapeXml } from "./xml.ts";

/** A request: what goes into the SOAP body and the SOAPAction URI. */
export interface OnvifRequest {
  /** Short name for logs and errors (`"GetProfiles"`). */
  name: string;
  /** The action URI (sent as `Content-Type: ...; action="..."`). */
  action: string;
  /** The body XML. */
  body: string;
}

const DEVICE = "http://www.onvif.org/ver10/device/wsdl";
const MEDIA = "http://www.onvif.org/ver10/media/wsdl";

function device(name: string, body = `<tds:${name}/>`): OnvifRequest {
  return { name, action: `${DEVICE}/${name}`, body };
}

function media(name: string, body: string): OnvifRequest {
  return { name, action: `${MEDIA}/${name}`, body };
}

/** The camera's clock (unauthenticated by the ONVIF spec). */
export const getSystemDateAndTime = (): OnvifRequest => device("GetSystemDateAndTime");
/** Manufacturer, model, firmware, serial. */
export const getDeviceInformation = (): OnvifRequest => device("GetDeviceInformation");
/** The device's endpoint reference (the stable id WS-Discovery also reports). */
export const getEndpointReference = (): OnvifRequest => device("GetEndpointReference");
/** The device's network interfaces, with their link-layer (MAC) addresses. */
export const getNetworkInterfaces = (): OnvifRequest => device("GetNetworkInterfaces");
/** The services and their XAddrs (ONVIF 2.0+). */
export const getServices = (): OnvifRequest =>
  device(
    "GetServices",
    "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
  );
/** The capabilities, including the media XAddr (older cameras; deprecated but universal). */
export const getCapabilities = (): OnvifRequest =>
  device(
    "GetCapabilities",
    "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
  );
/** The media profiles with their encoder configurations. */
export const getProfiles = (): OnvifRequest => media("GetProfiles", "<trt:GetProfiles/>");

/**
 * The RTSP URI of a profile (RTP unicast over RTSP).
 *
 * @param profileToken the profile's token
 * @returns the request
 */
export function getStreamUri(profileToken: string): OnvifRequest {
  return media(
    "GetStreamUri",
    "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>" +
      "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>" +
      `<trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken></trt:GetStreamUri>`,
  );
}

/**
 * The JPEG snapshot URI of a profile.
 *
 * @param profileToken the profile's token
 * @returns the request
 */
export function getSnapshotUri(profileToken: string): OnvifRequest {
  return media(
    "GetSnapshotUri",
    `<trt:GetSnapshotUri><trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken>` +
      "</trt:GetSnapshotUri>",
  );
}
