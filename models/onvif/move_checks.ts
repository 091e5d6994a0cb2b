/**
 * Whether a device claiming an onboarded camera's endpoint address at a new address is the camera.
 * ONVIF gives no way to prove it without receiving the password, so a move is followed without an
 * admin only when facts a LAN device cannot fake cheaply agree: before any credential is sent
 * ({@linkcode moveObjections}), then after re-authenticating ({@linkcode identityMismatches}).
 * Otherwise the camera shows a {@linkcode SuspectedMove}. Pure: facts in, reasons out (no reason →
 * follow). Threat model: SECURITY.md (camera takeover through discovery).
 *
 * @module
 */
import type { DeviceInformation } from "./device_replies.ts";
import type { StoredOnvifIdentity } from "./stored_info.ts";

/** A move Vigil did not follow on its own; shown on the camera until accepted or dismissed. */
export interface SuspectedMove {
  /** The device service URL the claiming device announced. */
  xaddr: string;
  /** The address its discovery reply came from. */
  address: string;
  /** ISO time of the claim. */
  seenAt: string;
  /** Why it was not followed, one sentence each. */
  reasons: string[];
}

/** What is known about a claimed move before any credential is sent. */
export interface MoveFacts {
  /** The camera as recorded at onboarding. */
  stored: Pick<StoredOnvifIdentity, "deviceUrl" | "macAddress">;
  /** The announced device service URL at the new address. */
  xaddr: string;
  /** Source address of the discovery reply. */
  source: string;
  /** Whether the old device URL still answers as an ONVIF device. */
  oldAnswers: boolean;
  /** The neighbour table's MAC for the new address; undefined when unknown or not looked up. */
  newMac: string | undefined;
}

/**
 * The host of a URL as an address: IPv6 without its brackets.
 *
 * @param url an XAddr or device URL
 * @returns e.g. `10.0.0.5` or `fe80::1`
 */
export function urlAddress(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, "");
}

/**
 * Why a claimed move must not be followed, checked BEFORE any credential is sent. It may proceed
 * only when (1) the old address no longer answers as an ONVIF device (a camera does not live in
 * two places), (2) the host of the announced XAddr is the address the discovery reply came from
 * (no pointing Vigil at a third machine), and (3) the box's neighbour table gives the new address
 * the MAC recorded at onboarding (which the camera itself confirmed then, GetNetworkInterfaces).
 *
 * @param facts what was observed
 * @returns the reasons against following; empty when the move may proceed to re-authentication
 * @example
 * ```ts
 * moveObjections({
 *   stored: { deviceUrl: "http://10.0.0.5/onvif/device_service", macAddress: "00:11:22:33:44:55" },
 *   xaddr: "http://10.0.0.9/onvif/device_service", source: "10.0.0.9",
 *   oldAnswers: false, newMac: "00:11:22:33:44:55",
 * }); // []
 * ```
 */
export function moveObjections(facts: MoveFacts): string[] {
  const reasons: string[] = [];
  const oldHost = new URL(facts.stored.deviceUrl).host;
  if (facts.oldAnswers) {
    reasons.push(`the camera still answers at its recorded address ${oldHost}`);
  }
  const host = urlAddress(facts.xaddr);
  if (host !== facts.source) {
    reasons.push(
      `the announced address ${host} is not the address the reply came from (${facts.source})`,
    );
  }
  if (!facts.stored.macAddress) {
    reasons.push("no MAC address was confirmed for this camera at onboarding");
  } else if (facts.newMac !== facts.stored.macAddress) {
    reasons.push(
      `the MAC address at ${host} is ${facts.newMac ?? "unknown"}, ` +
        `not the camera's ${facts.stored.macAddress}`,
    );
  }
  return reasons;
}

/**
 * After re-authenticating at the new address: is it the same device (4: endpoint address, serial
 * number and hardware id as recorded at onboarding)?
 *
 * @param stored the camera as recorded at onboarding
 * @param found what the device at the new address reports
 * @returns the differences; empty when endpoint address, serial number and hardware id all match
 * @example
 * ```ts
 * identityMismatches(stored, info); // ["serial number XYZ is not the camera's ABC"]
 * ```
 */
export function identityMismatches(
  stored: Pick<StoredOnvifIdentity, "endpointAddress" | "serialNumber" | "hardwareId">,
  found: { endpointAddress: string | undefined; deviceInfo: DeviceInformation },
): string[] {
  const reasons: string[] = [];
  if (found.endpointAddress !== stored.endpointAddress) {
    reasons.push(
      `the device reports endpoint ${found.endpointAddress ?? "none"}, ` +
        `not the camera's ${stored.endpointAddress ?? "none"}`,
    );
  }
  if (found.deviceInfo.serialNumber !== stored.serialNumber) {
    reasons.push(
      `serial number ${JSON.stringify(found.deviceInfo.serialNumber)} is not the camera's ` +
        JSON.stringify(stored.serialNumber),
    );
  }
  if (found.deviceInfo.hardwareId !== stored.hardwareId) {
    reasons.push(
      `hardware id ${JSON.stringify(found.deviceInfo.hardwareId)} is not the camera's ` +
        JSON.stringify(stored.hardwareId),
    );
  }
  return reasons;
}
