/**
 * LAN discovery of ONVIF cameras: a registry of the devices that answered WS-Discovery probes,
 * keyed by their endpoint address (`urn:uuid:...`, which survives IP changes); scans on demand or
 * every `VIGIL_DISCOVERY_INTERVAL_S` (default off) — nothing probes unless asked; and adoption of a
 * found device through ONVIF onboarding. A known device answering at new XAddrs is reported as
 * `discovery.moved`, for the move watch (move_watch.ts). See docs/decisions/own-onvif-client.md.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fromCallback } from "xstate";
import { createLogger } from "../../models/log.ts";
import {
  onboardOnvifCamera,
  type OnvifCameraInfo,
  type OnvifTarget,
} from "../../models/onvif/client.ts";
import { readScopes } from "../../models/onvif/discovery_messages.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";
import {
  probeOnvifDevices,
  type ProbeOptions,
  type ProbeResult,
} from "../../models/onvif/probe.ts";

const log = createLogger("discovery");

/** Most devices remembered; beyond, new ones are ignored (a hostile LAN cannot exhaust memory). */
export const MAX_DEVICES = 1000;

/** A device found on the LAN. */
export interface DiscoveredDevice {
  /** Stable id for the API: the UUID of the endpoint address, or a hash of it. */
  id: string;
  /** WS-Discovery endpoint address (`urn:uuid:...`). */
  endpointAddress: string;
  /** Source IP of its last reply. */
  address: string;
  /** Device service URLs from its last reply. */
  xaddrs: string[];
  /** WS-Discovery types (`dn:NetworkVideoTransmitter`...). */
  types: string[];
  /** ONVIF scope URIs as announced. */
  scopes: string[];
  /** From the `onvif://www.onvif.org/name/...` scope. */
  name: string | undefined;
  /** From the `hardware` scope. */
  hardware: string | undefined;
  /** From the `location` scopes, joined with `/`. */
  location: string | undefined;
  /** ISO time first seen. */
  firstSeen: string;
  /** ISO time last seen. */
  lastSeen: string;
}

/** What the registry tells its subscribers (and the interval actor sends to its parent). */
export type DiscoveryEvent =
  | { type: "discovery.found"; device: DiscoveredDevice }
  | { type: "discovery.moved"; device: DiscoveredDevice; previousXaddrs: string[] }
  | { type: "discovery.failed"; error: string };

/** The result of one scan. */
export interface ScanResult {
  /** Devices that answered this scan. */
  devices: DiscoveredDevice[];
  /** Datagrams refused as malformed or hostile. */
  rejected: number;
  /** Local addresses probed from. */
  interfaces: string[];
}

/** Options of {@linkcode DiscoveryRegistry}. */
export interface DiscoveryRegistryOptions {
  /** The probe (default: a real WS-Discovery probe over UDP); tests pass a fake. */
  probe?: (options: ProbeOptions) => Promise<ProbeResult>;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

/**
 * The devices found so far, and how to scan for more.
 *
 * @example
 * ```ts
 * const discovery = new DiscoveryRegistry();
 * const { devices } = await discovery.scan({ windowMs: 2000 });
 * discovery.list(); // everything seen since start
 * ```
 */
export class DiscoveryRegistry {
  readonly #devices = new Map<string, DiscoveredDevice>();
  readonly #listeners = new Set<(event: DiscoveryEvent) => void>();
  readonly #probe: (options: ProbeOptions) => Promise<ProbeResult>;
  readonly #now: () => number;
  #scanning: Promise<ScanResult> | undefined;

  /**
   * Creates an empty registry; nothing is probed until {@linkcode DiscoveryRegistry.scan}.
   *
   * @param options a probe and a clock for tests
   */
  constructor(options: DiscoveryRegistryOptions = {}) {
    this.#probe = options.probe ?? probeOnvifDevices;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Probes the LAN and records what answers. A scan asked for while one runs joins it rather than
   * sending more multicast.
   *
   * @param options interfaces and collection window
   * @returns the devices that answered this scan
   * @throws {ValidationError} for an unknown interface or a bad window
   */
  scan(options: ProbeOptions = {}): Promise<ScanResult> {
    this.#scanning ??= this.#scan(options).finally(() => this.#scanning = undefined);
    return this.#scanning;
  }

  /**
   * Every device seen since start.
   *
   * @returns the devices, most recently seen first
   */
  list(): DiscoveredDevice[] {
    return [...this.#devices.values()].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
  }

  /**
   * One device by id.
   *
   * @param id a device id from {@linkcode DiscoveryRegistry.list}
   * @returns the device, or undefined
   */
  get(id: string): DiscoveredDevice | undefined {
    return this.#devices.get(id);
  }

  /**
   * Calls `listener` for every found/moved device.
   *
   * @param listener receives {@linkcode DiscoveryEvent}s
   * @returns a function that unsubscribes
   */
  subscribe(listener: (event: DiscoveryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #scan(options: ProbeOptions): Promise<ScanResult> {
    const result = await this.#probe(options);
    const seen = new Map<string, DiscoveredDevice>();
    const now = new Date(this.#now()).toISOString();
    for (const match of result.matches) {
      const id = deviceId(match.endpointAddress);
      const known = this.#devices.get(id);
      if (!known && this.#devices.size >= MAX_DEVICES) {
        log.warn("device ignored: too many devices", { endpointAddress: match.endpointAddress });
        continue;
      }
      const device: DiscoveredDevice = {
        id,
        endpointAddress: match.endpointAddress,
        address: match.from,
        xaddrs: match.xaddrs,
        types: match.types,
        scopes: match.scopes,
        ...readScopes(match.scopes),
        firstSeen: known?.firstSeen ?? now,
        lastSeen: now,
      };
      this.#devices.set(id, device);
      // The same device answers once per probe copy and interface; report it once per scan.
      if (seen.has(id)) continue;
      seen.set(id, device);
      if (!known) {
        log.info("device found", { id, xaddrs: device.xaddrs, name: device.name });
        this.#emit({ type: "discovery.found", device });
      } else if (!sameSet(known.xaddrs, device.xaddrs)) {
        log.info("device moved", { id, from: known.xaddrs, to: device.xaddrs });
        this.#emit({ type: "discovery.moved", device, previousXaddrs: known.xaddrs });
      }
    }
    return {
      devices: [...seen.values()],
      rejected: result.rejected,
      interfaces: result.interfaces,
    };
  }

  #emit(event: DiscoveryEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error("discovery listener failed", { error });
      }
    }
  }
}

/**
 * The API id of an endpoint address: its UUID when it is `urn:uuid:...`, else 16 hex digits of its
 * SHA-1 (URL-safe either way).
 *
 * @param endpointAddress normalized endpoint address
 * @returns the id
 * @example
 * ```ts
 * deviceId("urn:uuid:0a1b2c3d-0000-4000-8000-000000000001"); // "0a1b2c3d-0000-4000-8000-000000000001"
 * ```
 */
export function deviceId(endpointAddress: string): string {
  const uuid = /^urn:uuid:([0-9a-f-]{36})$/.exec(endpointAddress)?.[1];
  return uuid ?? createHash("sha1").update(endpointAddress).digest("hex").slice(0, 16);
}

/**
 * Onboards a discovered device (`POST /api/discovery/:id/adopt`): tries its XAddrs in order until
 * one answers. Wrong credentials stop at once — another address of the same device will not
 * accept them either.
 *
 * @param device from the registry
 * @param credentials username, password, and the per-call time limit
 * @returns the onboarding result (see `onboardOnvifCamera`)
 * @throws {OnvifError} the first decisive error, or the last one when no XAddr worked
 * @example
 * ```ts
 * const info = await adoptDiscoveredDevice(discovery.get(id)!, { username: "admin", password: "pw" });
 * ```
 */
export async function adoptDiscoveredDevice(
  device: Pick<DiscoveredDevice, "xaddrs">,
  credentials: Pick<
    OnvifTarget,
    "username" | "password" | "timeoutMs" | "signal" | "neighbours"
  >,
): Promise<OnvifCameraInfo> {
  let lastError: unknown = new OnvifError("onvif_unreachable", "onvif: the device has no XAddr");
  for (const xaddr of device.xaddrs) {
    try {
      return await onboardOnvifCamera({ host: new URL(xaddr).hostname, xaddr, ...credentials });
    } catch (error) {
      lastError = error;
      if (!(error instanceof OnvifError)) throw error;
      if (error.code === "onvif_unauthorized") throw error;
    }
  }
  throw lastError;
}

/**
 * Whether a discovered device is an onboarded camera that now answers at another address (DHCP
 * change, or a move while Vigil was down, so the registry only saw it "found"). Match is by
 * endpoint address, which onboarding stores from GetEndpointReference.
 *
 * @param stored what onboarding stored for the camera (`endpointAddress`, `deviceUrl`)
 * @param device a device from a `discovery.found` or `discovery.moved` event
 * @returns the device XAddr to re-onboard at, or undefined when it is another device or unmoved
 * @example
 * ```ts
 * const xaddr = movedCameraXaddr(camera.onvif, event.device);
 * if (xaddr) await adoptDiscoveredDevice({ xaddrs: [xaddr] }, credentials);
 * ```
 */
export function movedCameraXaddr(
  stored: Pick<OnvifCameraInfo, "endpointAddress" | "deviceUrl">,
  device: Pick<DiscoveredDevice, "endpointAddress" | "xaddrs">,
): string | undefined {
  if (!stored.endpointAddress || stored.endpointAddress !== device.endpointAddress) {
    return undefined;
  }
  const storedHost = new URL(stored.deviceUrl).host;
  if (device.xaddrs.some((xaddr) => new URL(xaddr).host === storedHost)) return undefined;
  return device.xaddrs[0];
}

/** Input of {@linkcode discoveryIntervalActor}. */
export interface DiscoveryIntervalInput {
  registry: DiscoveryRegistry;
  /** Seconds between scans; 0 does nothing. */
  intervalS: number;
  /** Passed to each scan. */
  probe?: ProbeOptions;
}

/**
 * XState callback actor that scans every `intervalS` seconds (first scan after one interval) and
 * sends the registry's events to its parent. With `intervalS` 0 it sends nothing, ever. Stopping
 * the actor stops the timer and unsubscribes.
 *
 * @example
 * ```ts
 * invoke: { src: discoveryIntervalActor, input: { registry, intervalS: 300 } }
 * ```
 */
export const discoveryIntervalActor = fromCallback<DiscoveryEvent, DiscoveryIntervalInput>(
  ({ input, sendBack }) => {
    if (input.intervalS <= 0) return () => {};
    const unsubscribe = input.registry.subscribe(sendBack);
    const timer = setInterval(() => {
      input.registry.scan(input.probe).catch((error) => {
        log.warn("scheduled discovery failed", { error });
        sendBack({ type: "discovery.failed", error: String(error) });
      });
    }, input.intervalS * 1000);
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  },
);

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join(" ") === [...b].sort().join(" ");
}
