/**
 * A simulated LAN for tests that need a real link layer (MAC addresses, ARP), built from network
 * namespaces this run creates and deletes (GUIDE §3: multicast never leaves them):
 *
 * ```
 *   box  (the Vigil server)  vtbr 10.99.0.1/24, a bridge
 *    ├── vtcamp ══ vtcam  cam  (the test process and its cameras)  10.99.0.2/24
 *    └── vtevilp ═ vtevil evil (a device of the attacker)           10.99.0.3/24
 * ```
 *
 * Each namespace has its own interface, so each device has its own MAC; an address added to
 * `lo` would have none. The test file runs inside `cam` (where {@linkcode NETNS_ENV} is set and
 * {@linkcode lanFromEnv} tells it the other namespaces); it starts the server in `box`
 * (`startServer(env, { netns: lan.box, hostname: lan.boxAddress })`) and attacker devices in
 * `evil` (`ip netns exec`).
 *
 * @module
 */
import { type NamespaceRun, NETNS_ENV } from "./onvif.ts";

/** Environment variable carrying the LAN's description into the test run inside it. */
export const LAN_ENV = "VIGIL_TEST_LAN";

/** The namespaces and addresses of a LAN made by {@linkcode runTestOnLan}. */
export interface Lan {
  /** Namespace of the Vigil server. */
  box: string;
  /** Namespace of the test and the cameras. */
  cam: string;
  /** Namespace of the attacker's device. */
  evil: string;
  boxAddress: string;
  camAddress: string;
  evilAddress: string;
  /** The cameras' interface in `cam` (to add addresses: a camera "moving"). */
  camLink: string;
  /** Prefix length of every address. */
  prefix: number;
}

/**
 * Inside a LAN run: its description.
 *
 * @returns the LAN
 * @throws Error when not run by {@linkcode runTestOnLan}
 */
export function lanFromEnv(): Lan {
  const raw = Deno.env.get(LAN_ENV);
  if (!raw) throw new Error(`${LAN_ENV} is not set: run this file through runTestOnLan()`);
  return JSON.parse(raw) as Lan;
}

/**
 * Builds the LAN, runs `deno test` on one file inside its `cam` namespace, and deletes every
 * namespace afterwards whatever happens (their links go with them). A run over `timeoutMs` is
 * killed by PID and awaited. Needs root and iproute2; npm modules must be cached (no registry in
 * there), which the outer run guarantees by having loaded the same file.
 *
 * @param file test file path
 * @param timeoutMs limit for the inner run
 * @returns exit code and output of the inner `deno test`
 */
export async function runTestOnLan(file: string, timeoutMs = 240_000): Promise<NamespaceRun> {
  const lan: Lan = {
    box: `vlb${Deno.pid}`,
    cam: `vlc${Deno.pid}`,
    evil: `vle${Deno.pid}`,
    boxAddress: "10.99.0.1",
    camAddress: "10.99.0.2",
    evilAddress: "10.99.0.3",
    camLink: "vtcam",
    prefix: 24,
  };
  const made: string[] = [];
  try {
    for (const ns of [lan.box, lan.cam, lan.evil]) {
      await ip(["netns", "add", ns]);
      made.push(ns);
      await ip(["-n", ns, "link", "set", "lo", "up"]);
    }
    // Snooping off: the bridge floods multicast to every port, like a plain switch.
    await ip([
      "-n",
      lan.box,
      "link",
      "add",
      "name",
      "vtbr",
      "type",
      "bridge",
      "mcast_snooping",
      "0",
    ]);
    await ip(["-n", lan.box, "addr", "add", `${lan.boxAddress}/${lan.prefix}`, "dev", "vtbr"]);
    await ip(["-n", lan.box, "link", "set", "vtbr", "up"]);
    await ip(["-n", lan.box, "route", "add", "224.0.0.0/4", "dev", "vtbr"]);
    for (
      const [ns, link, address] of [[lan.cam, lan.camLink, lan.camAddress], [
        lan.evil,
        "vtevil",
        lan.evilAddress,
      ]] as const
    ) {
      const port = `${link}p`;
      await ip([
        "link",
        "add",
        link,
        "netns",
        ns,
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        lan.box,
      ]);
      await ip(["-n", lan.box, "link", "set", port, "master", "vtbr"]);
      await ip(["-n", lan.box, "link", "set", port, "up"]);
      await ip(["-n", ns, "addr", "add", `${address}/${lan.prefix}`, "dev", link]);
      await ip(["-n", ns, "link", "set", link, "up"]);
      await ip(["-n", ns, "route", "add", "224.0.0.0/4", "dev", link]);
    }
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", lan.cam, Deno.execPath(), "test", "-A", "--no-check", file],
      env: { [NETNS_ENV]: lan.cam, [LAN_ENV]: JSON.stringify(lan), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      const { code, stdout, stderr } = await child.output();
      const decoder = new TextDecoder();
      return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    for (const ns of made) await ip(["netns", "del", ns]);
  }
}

/**
 * Runs `ip` with arguments.
 *
 * @param args the arguments
 * @throws Error with ip's message when it fails
 */
export async function ip(args: string[]): Promise<void> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command("ip", { args, stdin: "null", stdout: "null", stderr: "piped" })
      .output();
  } catch (error) {
    throw new Error(`'ip' (iproute2) is needed for namespace tests: ${error}`);
  }
  if (!result.success) {
    throw new Error(
      `ip ${args.join(" ")} failed: ${new TextDecoder().decode(result.stderr).trim()}`,
    );
  }
}

/**
 * The MAC of an interface of this process's namespace.
 *
 * @param link interface name
 * @returns the MAC
 * @throws Error when there is no such interface
 */
export function linkMac(link: string): string {
  const found = Deno.networkInterfaces().find((i) => i.name === link);
  if (!found) throw new Error(`no interface ${link} here`);
  return found.mac;
}
