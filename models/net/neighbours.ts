/**
 * The box's IPv4 neighbour (ARP) table, from `/proc/net/arp` (this network namespace; no
 * subprocess, no privileges): which MAC answers for an IP on the local network. A LAN device can
 * claim any WS-Discovery endpoint address, but not a camera's MAC without clashing with the camera,
 * so the MAC identifies a camera after an IP change (actors/onvif/move.ts). IPv6 neighbours are
 * not read: such a camera has no recorded MAC and its moves wait for an admin. See SECURITY.md.
 *
 * @module
 */
import { settlesWithin } from "../timeout.ts";

/** Looks up the MAC of an IP in the neighbour table; undefined when there is no complete entry. */
export type NeighbourLookup = (ip: string) => Promise<string | undefined>;

const ATF_COM = 0x2; // the entry is complete (resolved)
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Normalizes a MAC address to lowercase, colon-separated hex. The all-zero address (loopback,
 * or a device that has none) is no address.
 *
 * @param raw `00:11:22:AA:BB:CC`, `00-11-22-aa-bb-cc` or `001122aabbcc`
 * @returns e.g. `00:11:22:aa:bb:cc`, or undefined when it is not a usable MAC
 * @example
 * ```ts
 * normalizeMac("00-1A-2B-3C-4D-5E"); // "00:1a:2b:3c:4d:5e"
 * normalizeMac("00:00:00:00:00:00"); // undefined
 * ```
 */
export function normalizeMac(raw: string): string | undefined {
  const text = raw.trim().toLowerCase();
  if (!/^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/.test(text)) return undefined;
  const hex = text.replace(/[:-]/g, "");
  if (/^0+$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(":");
}

/**
 * Parses `/proc/net/arp`: complete entries only (an incomplete or failed resolution has flags 0
 * and an all-zero address).
 *
 * @param text the file's contents
 * @returns IP → normalized MAC
 * @example
 * ```ts
 * parseProcNetArp(
 *   "IP address  HW type  Flags  HW address         Mask  Device\n" +
 *     "10.0.0.5    0x1      0x2    00:11:22:33:44:55  *     eth0\n",
 * ).get("10.0.0.5"); // "00:11:22:33:44:55"
 * ```
 */
export function parseProcNetArp(text: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of text.split("\n").slice(1)) {
    const [ip, , flags, hw] = line.trim().split(/\s+/);
    if (!ip || !flags || !hw || !IPV4.test(ip)) continue;
    if ((Number.parseInt(flags, 16) & ATF_COM) === 0) continue;
    const mac = normalizeMac(hw);
    if (mac) table.set(ip, mac);
  }
  return table;
}

/**
 * The MAC of an IPv4 neighbour, from `/proc/net/arp`. Only meaningful right after traffic to
 * that address (the kernel resolves on demand): see {@linkcode resolveNeighbour}.
 *
 * @param ip an IPv4 address
 * @returns the MAC, or undefined (not an IPv4 literal, not on a local link, not resolved)
 */
export const lookupNeighbourMac: NeighbourLookup = async (ip) => {
  if (!IPV4.test(ip)) return undefined;
  try {
    return parseProcNetArp(await Deno.readTextFile("/proc/net/arp")).get(ip);
  } catch {
    return undefined;
  }
};

/**
 * Makes the kernel resolve `host`'s link-layer address by opening (and at once closing) a TCP
 * connection to it, then reads the neighbour table. Nothing is sent over the connection: this is
 * safe against a device we do not trust yet.
 *
 * @param host an IPv4 address
 * @param port a TCP port of the device (its ONVIF HTTP port)
 * @param options time limit for the connection, and the lookup (default: the real table)
 * @returns the MAC, or undefined
 * @example
 * ```ts
 * await resolveNeighbour("192.168.1.20", 80); // "00:11:22:33:44:55"
 * ```
 */
export async function resolveNeighbour(
  host: string,
  port: number,
  options: { timeoutMs?: number; lookup?: NeighbourLookup } = {},
): Promise<string | undefined> {
  const lookup = options.lookup ?? lookupNeighbourMac;
  if (!IPV4.test(host)) return undefined;
  const connecting = Deno.connect({ hostname: host, port });
  // A connection that completes after the time limit is closed when it does.
  connecting.then((conn) => conn.close(), () => {});
  await settlesWithin(connecting, options.timeoutMs ?? 2000);
  // Even a refused connection (RST) resolved the address: the answer came from its MAC.
  return await lookup(host);
}
