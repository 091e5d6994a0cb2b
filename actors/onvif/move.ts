/**
 * Moving an onboarded ONVIF camera to a new address: the checks made before any credential goes
 * to the new address (see models/onvif/move_checks.ts for why), re-onboarding there, and either
 * following the camera or recording a suspected move an admin can accept.
 *
 * @module
 */
import { adoptDiscoveredDevice, type DiscoveredDevice, movedCameraXaddr } from "./discovery.ts";
import type { Fleet } from "../camera/fleet.ts";
import type { Database } from "../../models/store/database.ts";
import type { SecretBox } from "../../models/secret_box.ts";
import {
  type Camera,
  getCamera,
  getSealedPassword,
  setSuspectedMove,
  updateOnvifSource,
} from "../../models/store/cameras.ts";
import {
  onvifSourceUrl,
  readOnvifIdentity,
  type StoredOnvifIdentity,
  storedOnvifInfo,
} from "../../models/onvif/stored_info.ts";
import { answersOnvif, type OnvifCameraInfo } from "../../models/onvif/client.ts";
import {
  identityMismatches,
  moveObjections,
  type SuspectedMove,
  urlAddress,
} from "../../models/onvif/move_checks.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";
import { type NeighbourLookup, resolveNeighbour } from "../../models/net/neighbours.ts";
import { ConflictError } from "../../models/errors.ts";
import { createLogger } from "../../models/log.ts";

const log = createLogger("onvif-watch");

/** Time limit of each check made before credentials (old address, MAC resolution). */
export const PRECHECK_TIMEOUT_MS = 2000;

/** What moving a camera needs. */
export interface MoveDeps {
  db: Database;
  secrets: SecretBox;
  /** Told about every camera that moved. */
  fleet: Pick<Fleet, "update">;
  /** Time limit of each ONVIF call (default: the client's). */
  timeoutMs?: number;
  /** The box's neighbour table (default: the real one); tests on 127.0.0.1 pass their own. */
  neighbours?: NeighbourLookup;
}

/**
 * Handles a discovery claim that a stored camera answers at a new address: follows it when every
 * condition holds, otherwise records a suspected move. No credential leaves the box unless
 * conditions 1–3 hold.
 *
 * @param deps database, secrets, fleet, neighbour table
 * @param cameraId the camera whose endpoint address the device claims
 * @param device the device as discovery saw it (claimed XAddrs, source address)
 * @returns what happened: `followed`, `suspected`, or `unmoved` (nothing to do)
 */
export async function handleClaimedMove(
  deps: MoveDeps,
  cameraId: string,
  device: Pick<DiscoveredDevice, "endpointAddress" | "xaddrs" | "address">,
): Promise<"followed" | "suspected" | "unmoved"> {
  // Re-read the row: an earlier refresh in the chain may have handled this move already.
  const camera = await getCamera(deps.db.sql, cameraId);
  const stored = readOnvifIdentity(camera.onvif);
  const xaddr = stored && movedCameraXaddr(stored, device);
  if (!stored || !xaddr) return "unmoved";

  const objections = moveObjections({
    stored,
    xaddr,
    source: device.address,
    ...await observeBeforeCredentials(deps, stored, xaddr, device.address),
  });
  if (objections.length > 0) {
    await suspect(deps, camera, { xaddr, address: device.address }, objections);
    return "suspected";
  }
  // Only the checked XAddr: the others the device announced were not checked.
  const info = await reonboard(deps, camera, xaddr);
  const mismatches = identityMismatches(stored, info);
  if (mismatches.length > 0) {
    await suspect(deps, camera, { xaddr, address: device.address }, mismatches);
    return "suspected";
  }
  await follow(deps, camera, stored, info);
  return "followed";
}

/**
 * Follows a suspected move an admin accepted: re-onboards the camera at the claimed address with
 * its stored credentials. The device must still report the camera's endpoint address; serial
 * number and hardware id were shown to the admin with the suspicion and are not checked again.
 *
 * @param deps database, secrets, fleet
 * @param cameraId the camera
 * @returns the updated camera
 * @throws {NotFoundError} for an unknown camera
 * @throws {ConflictError} `conflict` when the camera has no suspected move
 * @throws {OnvifError} when the device cannot be onboarded, or is another device
 */
export async function acceptSuspectedMove(deps: MoveDeps, cameraId: string): Promise<Camera> {
  const camera = await getCamera(deps.db.sql, cameraId);
  const stored = readOnvifIdentity(camera.onvif);
  const move = camera.suspectedMove;
  if (!stored || !move) throw new ConflictError(`camera ${cameraId} has no suspected move`);
  const info = await reonboard(deps, camera, move.xaddr);
  if (info.endpointAddress !== stored.endpointAddress) {
    throw new OnvifError(
      "onvif_bad_reply",
      `onvif: the device at ${new URL(move.xaddr).host} is not camera ${camera.id} ` +
        `(endpoint ${info.endpointAddress ?? "unknown"})`,
    );
  }
  log.info("suspected move accepted", { camera: camera.id, to: move.xaddr });
  return await follow(deps, camera, stored, info);
}

/** Conditions 1 and 3 observed; nothing is sent to the new address but a bare TCP connect. */
async function observeBeforeCredentials(
  deps: MoveDeps,
  stored: StoredOnvifIdentity,
  xaddr: string,
  source: string,
): Promise<{ oldAnswers: boolean; newMac: string | undefined }> {
  const host = urlAddress(xaddr);
  const url = new URL(xaddr);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  // An XAddr naming another machine than the sender is refused anyway: do not even connect to it.
  const worthResolving = host === source && stored.macAddress !== undefined;
  const [oldAnswers, newMac] = await Promise.all([
    answersOnvif(stored.deviceUrl, PRECHECK_TIMEOUT_MS),
    worthResolving
      ? resolveNeighbour(host, port, { timeoutMs: PRECHECK_TIMEOUT_MS, lookup: deps.neighbours })
      : Promise.resolve(undefined),
  ]);
  return { oldAnswers, newMac };
}

async function reonboard(deps: MoveDeps, camera: Camera, xaddr: string) {
  const sealed = await getSealedPassword(deps.db.sql, camera.id);
  return await adoptDiscoveredDevice({ xaddrs: [xaddr] }, {
    username: camera.username ?? "",
    password: sealed ? await deps.secrets.open(sealed) : "",
    timeoutMs: deps.timeoutMs,
    neighbours: deps.neighbours,
  });
}

async function follow(
  deps: MoveDeps,
  camera: Camera,
  stored: StoredOnvifIdentity,
  info: OnvifCameraInfo,
): Promise<Camera> {
  const updated = await updateOnvifSource(deps.db.sql, camera.id, {
    sourceUrl: onvifSourceUrl(info),
    onvif: storedOnvifInfo(info),
  });
  await deps.fleet.update(updated);
  log.info("camera moved; source refreshed", {
    camera: camera.id,
    from: stored.deviceUrl,
    to: info.deviceUrl,
  });
  return updated;
}

async function suspect(
  deps: MoveDeps,
  camera: Camera,
  claim: Pick<SuspectedMove, "xaddr" | "address">,
  reasons: string[],
): Promise<void> {
  const move: SuspectedMove = { ...claim, seenAt: new Date().toISOString(), reasons };
  await setSuspectedMove(deps.db.sql, camera.id, move);
  log.warn("camera move not followed: an admin may accept it", {
    camera: camera.id,
    claimedXaddr: claim.xaddr,
    from: claim.address,
    reasons,
  });
}
