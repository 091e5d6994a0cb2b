/**
 * A WS-Discovery responder for simulated cameras: joins 239.255.255.250:3702 and answers each
 * Probe for ONVIF video transmitters with one ProbeMatches datagram per device, sent unicast to
 * the prober. It can also send raw datagrams of our choosing (malformed, huge, entity-laden) to
 * test how the prober copes with hostile replies.
 *
 * NETWORK RULE (GUIDE §3): multicast never leaves the machine. {@linkcode startDiscoveryResponder}
 * refuses to run outside a network namespace a test created: only loopback (`ip netns add ...;
 * ip -n ... link set lo up; ip -n ... route add 224.0.0.0/4 dev lo`), or loopback plus the
 * test's own virtual links between its namespaces (test/support/lan.ts).
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
  /**
   * Local address replies are sent from (default: whichever the kernel picks, the interface's
   * first). A device with one of several addresses of an interface answers from its own.
   */
  replyFrom?: string;
}

/** A running responder. */
export interface DiscoveryResponder {
  /** Probes answered so far. */
  readonly probes: number;
  stop(): Promise<void>;
}

/** Prefix of the virtual interfaces tests create between their namespaces (test/support/lan.ts). */
export const TEST_LINK_PREFIX = "vt";

/**
 * Throws unless this process runs in an isolated network namespace a test made, where multicast
 * cannot reach a real LAN: every interface is loopback or one of the test's own virtual links
 * (named {@linkcode TEST_LINK_PREFIX}...), and — as soon as there is such a link — the namespace
 * is one made with `ip netns add` (so a host interface that happens to be named `vt...` does
 * not pass).
 *
 * @throws Error naming the interfaces found
 */
export function assertIsolatedNetwork(): void {
  const names = [...new Set(Deno.networkInterfaces().map((i) => i.name))];
  const outside = names.filter((name) => name !== "lo" && !name.startsWith(TEST_LINK_PREFIX));
  const links = names.filter((name) => name.startsWith(TEST_LINK_PREFIX));
  if (outside.length > 0 || (links.length > 0 && inHostNamespace())) {
    throw new Error(
      `sim: refusing to use multicast outside an isolated network namespace ` +
        `(interfaces: ${names.join(", ")})`,
    );
  }
}

/** Whether this process's network namespace is not one made with `ip netns add` (/run/netns). */
function inHostNamespace(): boolean {
  try {
    const own = Deno.statSync("/proc/self/ns/net").ino;
    for (const entry of Deno.readDirSync("/run/netns")) {
      if (Deno.statSync(`/run/netns/${entry.name}`).ino === own) return false;
    }
  } catch {
    // No /run/netns or no /proc: cannot tell, so assume the worst.
  }
  return true;
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
  const sender = options.replyFrom ? dgram.createSocket({ type: "udp4" }) : socket;
  if (sender !== socket) {
    await new Promise<void>((resolve, reject) => {
      sender.once("error", reject);
      sender.bind(0, options.replyFrom, () => {
        sender.off("error", reject);
        resolve();
      });
    });
  }
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
      sender.send(Buffer.from(text, "utf8"), remote.port, remote.address);
    }
  });
  return {
    get probes() {
      return probes;
    },
    async stop() {
      const close = (s: dgram.Socket) => new Promise<void>((resolve) => s.close(() => resolve()));
      await Promise.all([close(socket), ...(sender === socket ? [] : [close(sender)])]);
    },
  };
}
