/**
 * A LAN attacker's device for the camera-takeover tests (issue 17): it answers WS-Discovery
 * probes claiming an onboarded camera's endpoint address with an XAddr on its own address (so the
 * reply's source matches), answers every ONVIF call whatever credentials it gets (echoing the
 * camera's endpoint address and serial number), and hands out a stream URI on its own RTSP port —
 * a trap that only counts connections. It records every WS-Security header it receives.
 *
 * Run in another network namespace than the test (`ip netns exec`), as a CLI that prints one
 * JSON line when ready (`{"ready":{xaddr,mac}}`) and one when stopped with SIGTERM
 * (`{"summary":{...}}`); {@linkcode startSpoofingDevice} does that and reads them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startSimulatedCamera } from "../../scripts/sim/onvif_camera.ts";
import { startDiscoveryResponder } from "../../scripts/sim/discovery_responder.ts";
import { startSilentServer } from "../../scripts/sim/rtsp_server.ts";

/** What the device saw by the time it stopped. */
export interface SpoofSummary {
  /** Every SOAP action received. */
  actions: string[];
  /** The actions that came with a WS-Security header (credentials). */
  securedActions: string[];
  /** Connections to its RTSP port. */
  rtspConnections: number;
  /** Discovery probes it answered. */
  probes: number;
}

/** A running spoofing device. */
export interface SpoofingDevice {
  /** The device service URL it announces. */
  xaddr: string;
  /** The MAC of its interface. */
  mac: string;
  /** Stops it and returns what it saw. */
  stop(): Promise<SpoofSummary>;
}

/**
 * Starts the device in a network namespace.
 *
 * @param netns namespace to run it in
 * @param claim its address there, and the camera identity it claims
 * @returns the device
 */
export async function startSpoofingDevice(
  netns: string,
  claim: { hostname: string; endpointAddress: string; serialNumber: string; name: string },
): Promise<SpoofingDevice> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      netns,
      Deno.execPath(),
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--hostname",
      claim.hostname,
      "--endpoint",
      claim.endpointAddress,
      "--serial",
      claim.serialNumber,
      "--name",
      claim.name,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        return JSON.parse(line);
      }
      const { value, done } = await lines.read();
      if (done) throw new Error("the spoofing device exited early");
      buffered += value;
    }
  };
  const ready = (await nextLine()).ready as { xaddr: string; mac: string };
  return {
    ...ready,
    async stop() {
      child.kill("SIGTERM");
      const summary = (await nextLine()).summary as SpoofSummary;
      await lines.cancel();
      await child.status;
      return summary;
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      hostname: { type: "string" },
      endpoint: { type: "string" },
      serial: { type: "string" },
      name: { type: "string" },
    },
  });
  const hostname = values.hostname!;
  const print = (message: unknown) => console.log(JSON.stringify(message));
  const trap = startSilentServer(hostname);
  const device = await startSimulatedCamera({
    username: "anyone",
    password: "anything",
    acceptAnyCredentials: true,
    hostname,
    rtspUrl: trap.url,
    endpointAddress: values.endpoint,
    serialNumber: values.serial,
    name: values.name,
  });
  const responder = await startDiscoveryResponder({
    devices: [{
      endpointAddress: device.endpointAddress,
      xaddrs: [device.xaddr],
      scopes: device.scopes,
    }],
    interfaceAddress: hostname,
    replyFrom: hostname,
  });
  const mac = Deno.networkInterfaces().find((i) => i.address === hostname)?.mac ?? "";
  print({ ready: { xaddr: device.xaddr, mac } });
  Deno.addSignalListener("SIGTERM", async () => {
    const summary: SpoofSummary = {
      actions: device.actions,
      securedActions: device.securedActions,
      rtspConnections: trap.accepted,
      probes: responder.probes,
    };
    await responder.stop();
    await device.stop();
    await trap.stop();
    print({ summary });
    Deno.exit(0);
  });
}
