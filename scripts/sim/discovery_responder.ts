/**
 * A WS-Discovery responder for simulated cameras: joins 239.255.255.250:3702 and answers each
 * Probe for ONVIF video transmitters with one ProbeMatches datagram per device, sent unicast to
 * the prober. It can also send raw datagrams of our choosing (malformed, huge, entity-laden) to
 * test how the prober copes with hostile replies.
 *
 * NETWORK RULE (GUIDE §3): multicast never leaves the machine. {@linkcode startDiscoveryResponder}
 * refuses to run unless the only network interface is loopback, i.e. inside a network namespace a
 * test created (`ip netns add ...; ip -n ... link set lo up; ip -n ... route add 224.0.0.0/4 dev
 * lo`).
 *
 * @module
 */
import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import {
  buildProbeMatches,
  readProbe,
  WS_DISCOVERY_GROUP,
  WS_DISCOVERY_PORT,
} from "../../models/onvif/discovery_messages.ts";

/** A device the responder announces, or a raw datagram to send instead. */
export type Announcement =
  | { endpointAddress: string; xaddrs: string[]; scopes: string[] }
  | { raw: string };

/** Options of {@linkcode startDiscoveryResponder}. */
export interface DiscoveryResponderOptions {
  /** What to answer each probe with; a function is read at each probe (cameras can move). */
  devices: Announcement[] | (() => Announcement[]);
  /** Local address of the interface to join the group on (default 127.0.0.1). */
  interfaceAddress?: string;
}

/** A running responder. */
export interface DiscoveryResponder {
  /** Probes answered so far. */
  readonly probes: number;
  stop(): Promise<void>;
}

/**
 * Throws unless this process sees no network interface but loopback ones — i.e. it runs in an
 * isolated network namespace, where multicast cannot reach a real LAN.
 *
 * @throws Error naming the interfaces found
 */
export function assertIsolatedNetwork(): void {
  const outside = Deno.networkInterfaces().filter((i) => i.name !== "lo");
  if (outside.length > 0) {
    throw new Error(
      `sim: refusing to use multicast outside an isolated network namespace ` +
        `(interfaces: ${[...new Set(outside.map((i) => i.name))].join(", ")})`,
    );
  }
}

/**
 * Starts a responder. Call only inside an isolated network namespace (checked).
 *
 * @param options devices to announce and the interface
 * @returns the responder; stop it when done
 * @throws Error outside an isolated namespace, or when the port cannot be bound
 * @example
 * ```ts
 * const responder = await startDiscoveryResponder({
 *   devices: [{ endpointAddress: camera.endpointAddress, xaddrs: [camera.xaddr], scopes: camera.scopes }],
 * });
 * await responder.stop();
 * ```
 */
export async function startDiscoveryResponder(
  options: DiscoveryResponderOptions,
): Promise<DiscoveryResponder> {
  assertIsolatedNetwork();
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(WS_DISCOVERY_PORT, "0.0.0.0", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.addMembership(WS_DISCOVERY_GROUP, options.interfaceAddress ?? "127.0.0.1");
  let probes = 0;
  socket.on("message", (message: Buffer, remote: dgram.RemoteInfo) => {
    let probe;
    try {
      probe = readProbe(message.toString("utf8"));
    } catch {
      return;
    }
    const wanted = probe?.types.length === 0 ||
      probe?.types.some((t) =>
        t.endsWith(":NetworkVideoTransmitter") || t === "NetworkVideoTransmitter"
      );
    if (!probe || !wanted) return;
    probes++;
    const devices = typeof options.devices === "function" ? options.devices() : options.devices;
    for (const device of devices) {
      const text = "raw" in device
        ? device.raw
        : buildProbeMatches({ relatesTo: probe.messageId, ...device });
      socket.send(Buffer.from(text, "utf8"), remote.port, remote.address);
    }
  });
  return {
    get probes() {
      return probes;
    },
    stop() {
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
