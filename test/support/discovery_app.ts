/**
 * The real application for discovery and onboarding route tests: {@linkcode startTestApp} with a
 * discovery probe the test scripts (never real multicast outside a namespace); the routes and the
 * move watch main.ts runs share its registry.
 *
 * @module
 */
import type { DiscoveryRegistry } from "../../actors/onvif/discovery.ts";
import type { ProbeOptions, ProbeResult, ReceivedMatch } from "../../models/onvif/probe.ts";
import { buildScopes } from "../../models/onvif/discovery_messages.ts";
import { startTestApp, type TestApp } from "./app.ts";
import type { TestDatabase } from "./databases.ts";
import type { NeighbourLookup } from "../../models/net/neighbours.ts";

/** A test app whose discovery the test controls. */
export interface DiscoveryTestApp extends TestApp {
  /** The registry the routes and the move watch share. */
  registry: DiscoveryRegistry;
}

/** Options of {@linkcode startDiscoveryTestApp}. */
export interface DiscoveryTestAppOptions {
  /** The registry's probe (default: one that finds nothing). Real probes only in a namespace. */
  probe?: (options: ProbeOptions) => Promise<ProbeResult>;
  /** Per-call ONVIF time limit. */
  onvifTimeoutMs?: number;
  /** The neighbour table (loopback has none; see {@linkcode fakeNeighbours}). */
  neighbours?: NeighbourLookup;
}

/**
 * @param db an open test database
 * @param options probe and ONVIF time limit
 * @returns the app; `close()` stops the watch, then the fleet
 */
export async function startDiscoveryTestApp(
  db: TestDatabase,
  options: DiscoveryTestAppOptions = {},
): Promise<DiscoveryTestApp> {
  const app = await startTestApp(db, options);
  return { ...app, registry: app.discovery };
}

/**
 * A WS-Discovery match as a device at `xaddr` would send it.
 *
 * @param device endpoint address, XAddr and announced name
 * @returns the match
 */
export function probeMatch(
  device: { endpointAddress: string; xaddr: string; name: string },
): ReceivedMatch {
  return {
    endpointAddress: device.endpointAddress,
    types: ["dn:NetworkVideoTransmitter"],
    scopes: buildScopes({ name: device.name, hardware: "SimCam 1", location: "yard" }),
    xaddrs: [device.xaddr],
    metadataVersion: 1,
    from: new URL(device.xaddr).hostname,
  };
}

/**
 * A neighbour table for cameras on loopback, which has no link layer: `table` maps an address to
 * a MAC (a simulated camera reports the MAC it is given with `macAddress`).
 *
 * @param table address → MAC, read at each lookup (a test can change it)
 * @returns the lookup
 */
export function fakeNeighbours(table: Map<string, string>): NeighbourLookup {
  return (ip) => Promise.resolve(table.get(ip));
}

/**
 * A probe that answers whatever `matches()` returns at the time of each call.
 *
 * @param matches read at each probe
 * @returns the probe
 */
export function scriptedProbe(
  matches: () => ReceivedMatch[],
): (options: ProbeOptions) => Promise<ProbeResult> {
  return () => Promise.resolve({ matches: matches(), rejected: 0, interfaces: ["default"] });
}

/**
 * Polls `GET /api/cameras/:id` until its stream state is `live`.
 *
 * @param t the app
 * @param id camera id
 * @param timeoutMs give up after this long (default 45 s: a bound for a loaded box, not a goal)
 * @returns ms waited
 * @throws Error with the last state on timeout
 */
export async function waitUntilLive(
  t: Pick<TestApp, "call">,
  id: string,
  timeoutMs = 45_000,
): Promise<number> {
  const started = performance.now();
  let last: unknown;
  while (performance.now() - started < timeoutMs) {
    last = (await (await t.call("GET", `/api/cameras/${id}`)).json()).state;
    if ((last as { stream?: string } | undefined)?.stream === "live") {
      return performance.now() - started;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `camera ${id} not live after ${timeoutMs} ms; last state ${JSON.stringify(last)}`,
  );
}
