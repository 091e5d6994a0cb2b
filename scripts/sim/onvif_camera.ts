/**
 * A simulated ONVIF camera: the device and media services (ver10) over SOAP on `Deno.serve`,
 * enforcing WS-Security UsernameToken digest auth the way a real camera does — refusing a wrong
 * password, a reused nonce, and a `Created` too far from ITS OWN clock (which can be set hours
 * off to exercise clock-skew handling). Its stream URIs point at whatever RTSP URL it is given
 * (normally a real RTSP server from `rtsp_server.ts`).
 *
 * Access classes follow the ONVIF core spec: GetSystemDateAndTime, GetCapabilities, GetServices
 * and GetEndpointReference answer without credentials; everything else needs a valid token
 * (unless `acceptAnyCredentials`: a spoofing device that takes whatever it is sent).
 * GetNetworkInterfaces reports the MAC of the interface the camera listens on.
 * Unknown actions get an `ActionNotSupported` fault. The snapshot is a JPEG made once by ffmpeg
 * (a test pattern), served without auth.
 *
 * Used by tests, by `scripts/simulator.ts` and the demo. Listens on 127.0.0.1 by default.
 *
 * @module
 */
import { buildEnvelope, buildFault, parseEnvelope } from "../../models/onvif/soap.ts";
import { readUsernameToken, verifyUsernameToken } from "../../models/onvif/ws_security.ts";
import { childText, escapeXml, findDescendant, type XmlElement } from "../../models/onvif/xml.ts";
import { buildScopes } from "../../models/onvif/discovery_messages.ts";
import { makeSnapshot, startRelay } from "./onvif_media.ts";
import { createSimulatedPtz, type SimulatedPtz } from "./onvif_ptz.ts";
import {
  createSimulatedEvents,
  type SimulatedEvents,
  type SimulatedEventsOptions,
} from "./onvif_events.ts";

/** A profile the simulated camera offers. */
export interface SimulatedProfile {
  token: string;
  name: string;
  /** ONVIF ver10 encoding name: `H264`, `H265`, `JPEG`. */
  encoding: string;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  /** The RTSP URI GetStreamUri reports for this profile. */
  rtspUrl: string;
}

/** Options of {@linkcode startSimulatedCamera}. */
export interface SimulatedCameraOptions {
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 0: a free one). */
  port?: number;
  username: string;
  password: string;
  /** The camera's clock minus the real one, in ms (default 0). */
  clockOffsetMs?: number;
  /** RTSP URL of the main profile (reported as is: pass `rtsp://0.0.0.0:...` to test the fix). */
  rtspUrl: string;
  /** RTSP URL of the sub profile (default: `rtspUrl`). */
  subRtspUrl?: string;
  /** Overrides the two default profiles (main 1280x720@25, sub 640x360@10). */
  profiles?: SimulatedProfile[];
  name?: string;
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  serialNumber?: string;
  /** Discovery location scope (`city/office`). */
  location?: string;
  /** Endpoint reference (`urn:uuid:...`); default a random one. Keep it to "move" a camera. */
  endpointAddress?: string;
  /** Delay before every SOAP answer, to simulate a slow device. */
  responseDelayMs?: number;
  /** Actions that answer with a SOAP fault (`ter:ActionFailed`) instead of a response. */
  faultActions?: string[];
  /** Accepted distance between a token's `Created` and the camera's clock (default 5 min). */
  tokenWindowMs?: number;
  /**
   * Relay RTSP through a TCP port on the camera's own address: stream URIs then name the
   * camera's host, like a real camera, even when the RTSP server listens elsewhere (127.0.0.1).
   * RTSP over TCP only (interleaved), which is what Vigil's capture uses.
   */
  rtspRelay?: boolean;
  /**
   * The MAC GetNetworkInterfaces reports (default: that of the interface holding `hostname`, as
   * `Deno.networkInterfaces()` tells; all zeros on loopback).
   */
  macAddress?: string;
  /** Answer every call, whatever credentials it carries or lacks (a spoofing device). */
  acceptAnyCredentials?: boolean;
  /** Told of every SOAP action received, and whether it carried a WS-Security header. */
  onRequest?: (action: string, secured: boolean) => void;
  /**
   * Host:port written into service XAddrs and the snapshot URI instead of the one the request
   * came to (the wrong-address quirk, e.g. `"0.0.0.0:80"`).
   */
  reportedHost?: string;
  /** Offer a PTZ service (onvif_ptz.ts). */
  ptz?: boolean;
  /** Offer an event service (onvif_events.ts), with its options. */
  events?: boolean | SimulatedEventsOptions;
}

/** A running simulated camera. */
export interface SimulatedCamera {
  /** Device service URL, e.g. `http://127.0.0.1:41234/onvif/device_service`. */
  xaddr: string;
  hostname: string;
  port: number;
  endpointAddress: string;
  /** The WS-Discovery scopes this camera announces (name, hardware, location). */
  scopes: string[];
  /** Every SOAP action received, in order (for tests). */
  actions: string[];
  /** The actions that arrived with a WS-Security header (credentials), in order. */
  securedActions: string[];
  /** The PTZ head, when offered. */
  ptz: SimulatedPtz | undefined;
  /** The event service, when offered. */
  events: SimulatedEvents | undefined;
  /** Changes the RTSP URLs reported from now on. */
  setRtspUrl(main: string, sub?: string): void;
  /** Stops listening; in-flight requests are answered or aborted first. Safe to call twice. */
  stop(): Promise<void>;
}

const PRE_AUTH = new Set([
  "GetSystemDateAndTime",
  "GetCapabilities",
  "GetServices",
  "GetEndpointReference",
]);
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Starts a simulated camera.
 *
 * @param options credentials, clock offset, RTSP URLs, identity, misbehaviours
 * @returns the running camera
 * @example
 * ```ts
 * const camera = await startSimulatedCamera({
 *   username: "admin", password: "secret", rtspUrl: "rtsp://127.0.0.1:8554/cam",
 * });
 * console.log(camera.xaddr);
 * await camera.stop();
 * ```
 */
export async function startSimulatedCamera(
  options: SimulatedCameraOptions,
): Promise<SimulatedCamera> {
  const hostname = options.hostname ?? "127.0.0.1";
  const endpointAddress = options.endpointAddress ?? `urn:uuid:${crypto.randomUUID()}`;
  const identity = {
    name: options.name ?? "Simulated camera",
    manufacturer: options.manufacturer ?? "Vigil",
    model: options.model ?? "SimCam 1",
    firmwareVersion: options.firmwareVersion ?? "1.0.0",
    serialNumber: options.serialNumber ?? endpointAddress.slice(-12),
  };
  let profiles = options.profiles ?? defaultProfiles(options.rtspUrl, options.subRtspUrl);
  const relay = options.rtspRelay ? startRelay(hostname, options.rtspUrl) : undefined;
  if (relay) profiles = profiles.map((p) => ({ ...p, rtspUrl: relay.rewrite(p.rtspUrl) }));
  const seenNonces = new Map<string, number>();
  const actions: string[] = [];
  const securedActions: string[] = [];
  const macAddress = options.macAddress ?? interfaceMac(hostname);
  const stopping = new AbortController();
  let snapshot: Promise<Uint8Array> | undefined;
  const ptz = options.ptz ? createSimulatedPtz() : undefined;
  const events = options.events
    ? createSimulatedEvents(options.events === true ? {} : options.events)
    : undefined;

  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname,
    port: options.port ?? 0,
    signal: stopping.signal,
    onListen: ({ port }) => listening.resolve(port),
  }, async (request) => {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/onvif/snapshot.jpg") {
      snapshot ??= makeSnapshot();
      return new Response(await snapshot as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": "image/jpeg" },
      });
    }
    if (request.method !== "POST" || !url.pathname.startsWith("/onvif/")) {
      return new Response("not found", { status: 404 });
    }
    let body: string;
    try {
      body = await request.text();
    } catch {
      return new Response(null, { status: 400 });
    }
    if (options.responseDelayMs) await delay(options.responseDelayMs, stopping.signal);
    if (body.length > MAX_REQUEST_BYTES) {
      return soap(fault("Sender", "ter:InvalidArgVal", "too large"), 400);
    }
    let action: string;
    let header;
    let content;
    try {
      ({ header, content } = parseEnvelope(body));
      action = content.name;
    } catch (error) {
      return soap(
        fault("Sender", "ter:WellFormed", error instanceof Error ? error.message : "bad XML"),
        400,
      );
    }
    actions.push(action);
    const secured = findDescendant(header, "Security") !== undefined;
    if (secured) securedActions.push(action);
    options.onRequest?.(action, secured);
    if (!PRE_AUTH.has(action) && !options.acceptAnyCredentials) {
      const token = readUsernameToken(header);
      const verdict = token
        ? verifyUsernameToken(token, {
          username: options.username,
          password: options.password,
          now: Date.now() + (options.clockOffsetMs ?? 0),
          windowMs: options.tokenWindowMs,
        }, seenNonces)
        : "missing";
      if (verdict !== "ok") {
        return soap(
          fault("Sender", "ter:NotAuthorized", `Sender not Authorized (${verdict})`),
          400,
        );
      }
    }
    if (options.faultActions?.includes(action)) {
      return soap(fault("Receiver", "ter:ActionFailed", `${action} failed (simulated)`), 500);
    }
    const base = `http://${options.reportedHost ?? url.host}`;
    const answer = ptz?.respond(action, content) ??
      await events?.respond(action, content, url.pathname, base, stopping.signal) ??
      respond(action, content, {
        base,
        identity,
        endpointAddress,
        profiles,
        macAddress,
        now: Date.now() + (options.clockOffsetMs ?? 0),
        services: { ptz: ptz !== undefined, events: events !== undefined },
      });
    return answer === undefined
      ? soap(fault("Receiver", "ter:ActionNotSupported", `${action} is not supported`), 500)
      : soap(buildEnvelope(answer), 200);
  });
  const port = await listening.promise;
  let stopped: Promise<void> | undefined;
  const urlHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    xaddr: `http://${urlHost}:${port}/onvif/device_service`,
    hostname,
    port,
    endpointAddress,
    scopes: buildScopes({
      name: identity.name,
      hardware: identity.model,
      location: options.location,
    }),
    actions,
    securedActions,
    ptz,
    events,
    setRtspUrl(main, sub) {
      profiles = profiles.map((p, i) => ({ ...p, rtspUrl: i === 0 ? main : sub ?? main }));
    },
    stop() {
      // Idempotent: a test may stop a camera that "moved" and again in its cleanup.
      stopped ??= (async () => {
        stopping.abort();
        await Promise.all([server.finished, relay?.stop()]);
      })();
      return stopped;
    },
  };
}

function defaultProfiles(main: string, sub = main): SimulatedProfile[] {
  return [
    {
      token: "main",
      name: "MainStream",
      encoding: "H264",
      width: 1280,
      height: 720,
      fps: 25,
      bitrateKbps: 2048,
      rtspUrl: main,
    },
    {
      token: "sub",
      name: "SubStream",
      encoding: "H264",
      width: 640,
      height: 360,
      fps: 10,
      bitrateKbps: 512,
      rtspUrl: sub,
    },
  ];
}

interface ResponseContext {
  base: string;
  identity: {
    manufacturer: string;
    model: string;
    firmwareVersion: string;
    serialNumber: string;
  };
  endpointAddress: string;
  profiles: SimulatedProfile[];
  macAddress: string;
  now: number;
  /** Which optional services the camera offers. */
  services: { ptz: boolean; events: boolean };
}

function respond(
  action: string,
  request: XmlElement,
  ctx: ResponseContext,
): string | undefined {
  const device = `${ctx.base}/onvif/device_service`;
  const media = `${ctx.base}/onvif/media_service`;
  const ptzUrl = `${ctx.base}/onvif/ptz_service`;
  const eventsUrl = `${ctx.base}/onvif/events_service`;
  const token = childText(request, "ProfileToken");
  const profile = ctx.profiles.find((p) => p.token === token);
  switch (action) {
    case "GetSystemDateAndTime":
      return `<tds:GetSystemDateAndTimeResponse>${systemDateAndTime(ctx.now)}` +
        `</tds:GetSystemDateAndTimeResponse>`;
    case "GetDeviceInformation": {
      const id = ctx.identity;
      return `<tds:GetDeviceInformationResponse><tds:Manufacturer>${escapeXml(id.manufacturer)}` +
        `</tds:Manufacturer><tds:Model>${escapeXml(id.model)}</tds:Model>` +
        `<tds:FirmwareVersion>${escapeXml(id.firmwareVersion)}</tds:FirmwareVersion>` +
        `<tds:SerialNumber>${escapeXml(id.serialNumber)}</tds:SerialNumber>` +
        `<tds:HardwareId>${
          escapeXml(id.model)
        }</tds:HardwareId></tds:GetDeviceInformationResponse>`;
    }
    case "GetEndpointReference":
      return `<tds:GetEndpointReferenceResponse><tds:GUID>${ctx.endpointAddress}</tds:GUID>` +
        `</tds:GetEndpointReferenceResponse>`;
    case "GetNetworkInterfaces":
      return `<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">` +
        `<tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name>` +
        `<tt:HwAddress>${escapeXml(ctx.macAddress)}</tt:HwAddress><tt:MTU>1500</tt:MTU>` +
        `</tt:Info></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>`;
    case "GetServices":
      return `<tds:GetServicesResponse>` +
        service("http://www.onvif.org/ver10/device/wsdl", device) +
        service("http://www.onvif.org/ver10/media/wsdl", media) +
        (ctx.services.ptz ? service("http://www.onvif.org/ver20/ptz/wsdl", ptzUrl) : "") +
        (ctx.services.events ? service("http://www.onvif.org/ver10/events/wsdl", eventsUrl) : "") +
        `</tds:GetServicesResponse>`;
    case "GetCapabilities":
      return `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
        `<tt:Device><tt:XAddr>${device}</tt:XAddr></tt:Device>` +
        `<tt:Media><tt:XAddr>${media}</tt:XAddr><tt:StreamingCapabilities>` +
        `<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>` +
        `<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
        (ctx.services.ptz ? `<tt:PTZ><tt:XAddr>${ptzUrl}</tt:XAddr></tt:PTZ>` : "") +
        (ctx.services.events ? `<tt:Events><tt:XAddr>${eventsUrl}</tt:XAddr></tt:Events>` : "") +
        `</tds:Capabilities></tds:GetCapabilitiesResponse>`;
    case "GetProfiles":
      return `<trt:GetProfilesResponse>${ctx.profiles.map(profileXml).join("")}` +
        `</trt:GetProfilesResponse>`;
    case "GetStreamUri":
      return profile ? mediaUri("GetStreamUriResponse", profile.rtspUrl) : undefined;
    case "GetSnapshotUri":
      return profile
        ? mediaUri("GetSnapshotUriResponse", `${ctx.base}/onvif/snapshot.jpg`)
        : undefined;
    default:
      return undefined;
  }
}

function interfaceMac(hostname: string): string {
  const found = Deno.networkInterfaces().find((i) => i.address === hostname);
  return found?.mac ?? "00:00:00:00:00:00";
}

function systemDateAndTime(now: number): string {
  const d = new Date(now);
  return `<tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>` +
    `<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour>` +
    `<tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second>` +
    `</tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>` +
    `</tt:UTCDateTime></tds:SystemDateAndTime>`;
}

function service(namespace: string, xaddr: string): string {
  return `<tds:Service><tds:Namespace>${namespace}</tds:Namespace><tds:XAddr>${xaddr}</tds:XAddr>` +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
}

function profileXml(p: SimulatedProfile): string {
  return `<trt:Profiles token="${escapeXml(p.token)}" fixed="true">` +
    `<tt:Name>${escapeXml(p.name)}</tt:Name>` +
    `<tt:VideoEncoderConfiguration token="vec_${escapeXml(p.token)}">` +
    `<tt:Name>${escapeXml(p.name)}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>${p.encoding}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit>` +
    `<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit>` +
    `</tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles>`;
}

function mediaUri(response: string, uri: string): string {
  return `<trt:${response}><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri>` +
    `<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>` +
    `</trt:MediaUri></trt:${response}>`;
}

function fault(code: string, subcode: string, reason: string): string {
  return buildFault({ code, subcode, reason });
}

function soap(xml: string, status: number): Response {
  return new Response(xml, {
    status,
    headers: { "content-type": "application/soap+xml; charset=utf-8" },
  });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
