/**
 * The I/O half of the push-target rule (models/net/push_target.ts): resolves the target's host
 * the way ffmpeg will (the system resolver, /etc/hosts included), lists this box's addresses, and
 * refuses a target that is or resolves to loopback, link-local or one of the box's own listening
 * ports unless `VIGIL_PUSH_ALLOW` lists it. SECURITY.md says why.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ValidationError } from "../../models/errors.ts";
import { withTimeout } from "../../models/timeout.ts";
import { type PushAllowEntry, pushRefusal, type PushTarget } from "../../models/net/push_target.ts";

/** A name that does not resolve within this long is refused like one that does not resolve. */
const RESOLVE_TIMEOUT_MS = 5000;

/** What the check needs. */
export interface PushCheckOptions {
  /** `VIGIL_PUSH_ALLOW`. */
  allow: readonly PushAllowEntry[];
  /** The ports this box listens on now (API, RTSP relay, metrics). */
  ownPorts: () => readonly number[];
}

/**
 * Checks a push target before a session is opened for it.
 *
 * @param target the parsed target
 * @param options the allow list and the box's ports
 * @throws {ValidationError} (422) naming `target` when the push must not go there
 */
export async function checkPushTarget(
  target: PushTarget,
  options: PushCheckOptions,
): Promise<void> {
  const addresses = isIP(target.host) ? [target.host] : await resolve(target.host);
  const ownAddresses = Deno.networkInterfaces().map((i) => i.address);
  const problem = pushRefusal({
    target,
    addresses,
    ownAddresses,
    ownPorts: options.ownPorts(),
    allow: options.allow,
  });
  if (problem) throw new ValidationError(problem, "target");
}

async function resolve(host: string): Promise<string[]> {
  try {
    const found = await withTimeout(
      lookup(host, { all: true }),
      RESOLVE_TIMEOUT_MS,
      () => new Error("timed out"),
    );
    return found.map((entry) => entry.address);
  } catch {
    return [];
  }
}
