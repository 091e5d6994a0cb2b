/**
 * One WS-Discovery probe over UDP: multicasts a Probe on each chosen interface, collects
 * ProbeMatches for a time window, and returns what answered. Replies are untrusted: a datagram
 * over the size limit, malformed, entity-laden, or relating to another probe is counted, logged
 * (the first few per probe) and ignored.
 *
 * Uses node:dgram, which Deno supports without `--unstable-net` (Deno.listenDatagram needs it).
 * The Probe goes out with TTL 1, as WS-Discovery prescribes: it never crosses a router.
 *
 * @module
 */
import dgram from "node:dgram";
import type { Buffer } from "node:buffer";
import { ValidationError } from "../errors.ts";
import { createLogger } from "../log.ts";
import {
  buildProbe,
  MAX_DISCOVERY_REPLY_CHARS,
  newMessageId,
  parseProbeMatches,
  type ProbeMatch,
  WS_DISCOVERY_GROUP,
  WS_DISCOVERY_PORT,
} from "./discovery_messages.ts";

const log = createLogger("discovery");

/** Default time replies are collected for. */
export const DEFAULT_PROBE_WINDOW_MS = 3000;
/** The probe is repeated once after this delay: UDP may drop the first. */
const REPEAT_AFTER_MS = 300;
/** Bad replies logged per probe; more are only counted (a hostile device could flood the log). */
const LOGGED_BAD_REPLIES = 5;
/** Matches kept per probe. */
const MAX_MATCHES = 2000;

/** Options of {@linkcode probeOnvifDevices}. */
export interface ProbeOptions {
  /**
   * Interfaces to probe on: names (`eth0`) or local IPv4 addresses. Default: every IPv4 address
   * of every interface but loopback; if there is none, the kernel's default multicast route.
   */
  interfaces?: string[];
  /** How long replies are collected (default 3000 ms). */
  windowMs?: number;
  /** Ends the probe early. */
  signal?: AbortSignal;
}

/** A match and the address it came from. */
export interface ReceivedMatch extends ProbeMatch {
  /** Source IP of the datagram. */
  from: string;
}

/** What a probe found. */
export interface ProbeResult {
  /** Every valid match received (a device answering twice appears twice). */
  matches: ReceivedMatch[];
  /** Datagrams refused as malformed, oversized, hostile or unrelated. */
  rejected: number;
  /** Local addresses probed from (`"default"` for the kernel's route). */
  interfaces: string[];
}

/**
 * Resolves interface names or addresses to local IPv4 addresses.
 *
 * @param requested names or addresses; undefined for "all"
 * @param available the host's interfaces (default `Deno.networkInterfaces()`)
 * @returns local IPv4 addresses; `[undefined]` means "the kernel's default multicast route"
 * @throws {ValidationError} naming an interface or address that is not on this host
 * @example
 * ```ts
 * resolveInterfaces(["eth0"]); // ["192.168.1.5"]
 * ```
 */
export function resolveInterfaces(
  requested: string[] | undefined,
  available: Deno.NetworkInterfaceInfo[] = Deno.networkInterfaces(),
): (string | undefined)[] {
  const ipv4 = available.filter((i) => i.family === "IPv4");
  if (requested === undefined || requested.length === 0) {
    const outside = [
      ...new Set(
        ipv4.filter((i) => i.name !== "lo" && !i.address.startsWith("127.")).map((i) => i.address),
      ),
    ];
    return outside.length > 0 ? outside : [undefined];
  }
  return [
    ...new Set(requested.flatMap((wanted) => {
      const found = ipv4.filter((i) => i.name === wanted || i.address === wanted);
      if (found.length === 0) {
        throw new ValidationError(
          `discovery: interface ${JSON.stringify(wanted)} is not an IPv4 interface of this host`,
          "interface",
        );
      }
      return found.map((i) => i.address);
    })),
  ];
}

/**
 * Probes for ONVIF devices. Sends multicast: call it only when asked (an API call or the
 * configured interval), never by default.
 *
 * @param options interfaces, window, cancellation
 * @returns the matches, how many datagrams were refused, and the interfaces used
 * @throws {ValidationError} for an unknown interface
 * @example
 * ```ts
 * const { matches } = await probeOnvifDevices({ windowMs: 2000 });
 * ```
 */
export async function probeOnvifDevices(options: ProbeOptions = {}): Promise<ProbeResult> {
  const windowMs = options.windowMs ?? DEFAULT_PROBE_WINDOW_MS;
  if (!Number.isFinite(windowMs) || windowMs < 100 || windowMs > 60_000) {
    throw new ValidationError(
      `discovery: windowMs must be from 100 to 60000: current value is ${windowMs}`,
      "windowMs",
    );
  }
  const interfaces = resolveInterfaces(options.interfaces);
  const messageId = newMessageId();
  const probe = new TextEncoder().encode(buildProbe(messageId));
  const result: ProbeResult = {
    matches: [],
    rejected: 0,
    interfaces: interfaces.map((i) => i ?? "default"),
  };
  const decoder = new TextDecoder();
  const onMessage = (message: Buffer, remote: dgram.RemoteInfo) => {
    try {
      if (message.byteLength > MAX_DISCOVERY_REPLY_CHARS) {
        throw new Error(`datagram of ${message.byteLength} bytes is over the limit`);
      }
      for (const match of parseProbeMatches(decoder.decode(message), messageId)) {
        if (result.matches.length < MAX_MATCHES) {
          result.matches.push({ ...match, from: remote.address });
        }
      }
    } catch (error) {
      if (++result.rejected <= LOGGED_BAD_REPLIES) {
        log.warn("discovery reply ignored", { from: remote.address, error });
      }
    }
  };

  const sockets = await Promise.all(interfaces.map((address) => openSocket(address, onMessage)));
  try {
    const send = () => {
      for (const socket of sockets) socket.send(probe, WS_DISCOVERY_PORT, WS_DISCOVERY_GROUP);
    };
    send();
    await wait(Math.min(REPEAT_AFTER_MS, windowMs / 2), options.signal);
    if (!options.signal?.aborted) send();
    await wait(windowMs - Math.min(REPEAT_AFTER_MS, windowMs / 2), options.signal);
  } finally {
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
  if (result.rejected > LOGGED_BAD_REPLIES) {
    log.warn("more discovery replies ignored", { count: result.rejected - LOGGED_BAD_REPLIES });
  }
  return result;
}

async function openSocket(
  address: string | undefined,
  onMessage: (message: Buffer, remote: dgram.RemoteInfo) => void,
): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: "udp4" });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, address ?? "0.0.0.0", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", (error) => log.warn("discovery socket error", { address, error }));
  socket.setMulticastTTL(1);
  if (address) socket.setMulticastInterface(address);
  socket.on("message", onMessage);
  return socket;
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
