/**
 * What happens to a camera, in one place: it is added (by RTSP URL, over ONVIF, or by adopting a
 * device discovery found), changed, told to capture or not, moved (an admin accepts or dismisses
 * a suspected move) and deleted. Each operation checks what a request's shape cannot (URLs,
 * credentials, the device itself), stores the row with its password sealed, and tells the fleet.
 * Routes validate the request and shape the reply; they never store a camera or call the fleet
 * for a change themselves.
 *
 * @module
 */
import type { Compiler } from "../recording/compiler.ts";
import type { Database } from "../../models/store/database.ts";
import type { SecretBox } from "../../models/secret_box.ts";
import {
  type Camera,
  type CameraChanges,
  camerasByEndpoint,
  deleteCamera,
  getCamera,
  insertCamera,
  lockCamera,
  type Transport,
  updateCamera,
} from "../../models/store/cameras.ts";
import { splitCredentials, validateSourceUrl } from "../../models/media/rtsp_url.ts";
import { type CameraStreamField, cameraStreamUrl } from "../../models/media/camera_stream_url.ts";
import { onboardOnvifCamera, type OnvifCameraInfo } from "../../models/onvif/client.ts";
import {
  onvifSourceUrl,
  readOnvifIdentity,
  storedOnvifInfo,
} from "../../models/onvif/stored_info.ts";
import type { NeighbourLookup } from "../../models/net/neighbours.ts";
import { ConflictError } from "../../models/errors.ts";
import { uuidv7 } from "../../models/ids.ts";
import { adoptDiscoveredDevice, type DiscoveredDevice } from "../onvif/discovery.ts";
import type { OnvifWatch } from "../onvif/move_watch.ts";
import type { Fleet } from "./fleet.ts";

/** What the camera service drives. */
export interface CameraServiceOptions {
  db: Database;
  /** Seals camera passwords before they are stored. */
  secrets: SecretBox;
  /** Told about every camera added, changed, started, stopped or deleted. */
  fleet: Pick<Fleet, "add" | "update" | "delete" | "capture">;
  /** Follows ONVIF cameras to new addresses; accepts and dismisses suspected moves. */
  watch: Pick<OnvifWatch, "acceptMove" | "dismissMove">;
  /** Time limit of each ONVIF call while onboarding (default: the client's, 5 s). */
  onvifTimeoutMs?: number;
  /** The box's neighbour table, for a camera's MAC at onboarding (default: the real one). */
  neighbours?: NeighbourLookup;
  /** compileRecord: a deleted camera's running compiles are stopped (default: none to stop). */
  compiler?: Pick<Compiler, "cancelCamera">;
}

/** A camera added by its RTSP URL. */
export interface NewCamera {
  name: string;
  /** rtsp:// or rtsps://, credentials allowed (split off, the password sealed). */
  rtspUrl: string;
  /** Default tcp. */
  transport?: Transport;
  /** A stream to record instead of `rtspUrl`, without credentials of its own. */
  recordUrl?: string;
  /** A smaller stream for analysis to decode instead of `rtspUrl`, without credentials. */
  analysisUrl?: string;
  /** Several boxes: the registered box it is pinned to; absent or null → placed by capacity. */
  box?: string | null;
}

/** ONVIF credentials; the password may be empty. */
export interface OnvifCredentials {
  username: string;
  password: string;
}

/** A camera onboarded over ONVIF at a known address. */
export interface NewOnvifCamera extends OnvifCredentials {
  name: string;
  host: string;
  /** HTTP port of the device service (default 80). */
  port?: number;
  /** Default tcp. */
  transport?: Transport;
  /** Overrides the analysis profile, without credentials. */
  analysisUrl?: string;
  /** Several boxes: the registered box it is pinned to; absent or null → placed by capacity. */
  box?: string | null;
}

/** How to adopt a discovered device. */
export interface Adoption extends OnvifCredentials {
  /** Default: the name the device announces, else its model and serial number. */
  name?: string;
  /** Default tcp. */
  transport?: Transport;
}

/** What a change of a camera may set; absent fields stay as they are. */
export interface CameraPatch {
  name?: string;
  /** A new source: its credentials replace the stored ones (none given → none kept). */
  rtspUrl?: string;
  transport?: Transport;
  /** `null`: record `rtspUrl` again. */
  recordUrl?: string | null;
  /** `null`: analyse the ONVIF analysis profile, or `rtspUrl`, again. */
  analysisUrl?: string | null;
  /**
   * Several boxes: pins the camera to this registered box (the owner hands it over within a
   * renewal interval once that box is up); `null` clears the pin and the camera stays where it is.
   */
  box?: string | null;
}

/**
 * Adds, changes, moves and deletes cameras: the row in the database and the unit in the fleet
 * change together, and a failed check stores nothing.
 *
 * @example
 * ```ts
 * const cameras = new CameraService({ db, secrets, fleet, watch });
 * const camera = await cameras.create({ name: "porch", rtspUrl: "rtsp://admin:pw@10.0.0.5/live" });
 * await cameras.capture(camera.id, "start");
 * ```
 */
export class CameraService {
  readonly #db: Database;
  readonly #secrets: SecretBox;
  readonly #fleet: CameraServiceOptions["fleet"];
  readonly #watch: CameraServiceOptions["watch"];
  readonly #compiler: CameraServiceOptions["compiler"];
  readonly #onvif: { timeoutMs?: number; neighbours?: NeighbourLookup };

  /**
   * @param options database, secrets, fleet, move watch, ONVIF time limit and neighbour table
   */
  constructor(options: CameraServiceOptions) {
    this.#db = options.db;
    this.#secrets = options.secrets;
    this.#fleet = options.fleet;
    this.#compiler = options.compiler;
    this.#watch = options.watch;
    this.#onvif = { timeoutMs: options.onvifTimeoutMs, neighbours: options.neighbours };
  }

  /**
   * Adds a camera by its RTSP URL and starts supervising it (idle until capture starts).
   *
   * @param camera name, source URL, transport, record and analysis URLs
   * @returns the stored camera (no password)
   * @throws {ValidationError} for a bad `rtspUrl`, `recordUrl` or `analysisUrl` (nothing stored)
   * @throws {ConflictError} when the name is taken (nothing stored)
   * @throws {UnknownBoxError} when `box` is not a registered box (nothing stored)
   */
  async create(camera: NewCamera): Promise<Camera> {
    const source = await this.#storedSource(camera.rtspUrl);
    const host = new URL(source.url).hostname;
    const row = await insertCamera(this.#db.sql, {
      id: uuidv7(),
      name: camera.name,
      sourceUrl: source.url,
      username: source.username,
      passwordSealed: source.sealed,
      transport: camera.transport ?? "tcp",
      recordUrl: camera.recordUrl === undefined
        ? undefined
        : cameraStreamUrl("recordUrl", camera.recordUrl, host),
      analysisUrl: camera.analysisUrl === undefined
        ? undefined
        : cameraStreamUrl("analysisUrl", camera.analysisUrl, host),
      pinBox: camera.box ?? undefined,
    });
    return await this.#supervise(row);
  }

  /**
   * Onboards a camera over ONVIF, stores it and starts supervising it: its recording (largest)
   * profile is its source, its analysis profile (or `analysisUrl`) what analysis decodes, what
   * onboarding learnt (minus secrets) its `onvif` info.
   *
   * @param camera name, address, credentials, transport, analysis URL
   * @returns the stored camera (no password)
   * @throws {ValidationError} for a bad `analysisUrl` (nothing stored, the device not asked)
   * @throws {OnvifError} when onboarding fails (nothing stored)
   * @throws {ConflictError} when the name is taken (nothing stored)
   * @throws {UnknownBoxError} when `box` is not a registered box (nothing stored)
   */
  async createOnvif(camera: NewOnvifCamera): Promise<Camera> {
    const { host, port, username, password } = camera;
    // Checked before the device is asked anything: a bad URL stores nothing and costs no call.
    const analysis = camera.analysisUrl === undefined
      ? undefined
      : cameraStreamUrl("analysisUrl", camera.analysisUrl, host);
    const info = await onboardOnvifCamera({ host, port, username, password, ...this.#onvif });
    return await this.#insertOnvif(camera.name, info, { ...camera, analysisUrl: analysis });
  }

  /**
   * Onboards a device discovery found (trying its XAddrs in turn), stores it and starts
   * supervising it, as {@linkcode CameraService.createOnvif} does.
   *
   * @param device from the discovery registry
   * @param adoption credentials, and a name and transport when not the defaults
   * @returns the stored camera (no password)
   * @throws {ConflictError} when the device is a camera already, or the name is taken
   * @throws {OnvifError} when onboarding fails (nothing stored)
   */
  async adopt(device: DiscoveredDevice, adoption: Adoption): Promise<Camera> {
    const existing = (await this.camerasOfDevices([device])).get(device.endpointAddress);
    if (existing) {
      throw new ConflictError(`device ${device.id} is already onboarded as camera ${existing}`);
    }
    const info = await adoptDiscoveredDevice(device, {
      username: adoption.username,
      password: adoption.password,
      ...this.#onvif,
    });
    const name = adoption.name ?? defaultName(device, info.deviceInfo);
    return await this.#insertOnvif(name, info, adoption);
  }

  /**
   * Which of these discovered devices are cameras already (matched by endpoint address, which
   * onboarding stores and which survives address changes).
   *
   * @param devices discovered devices
   * @returns endpoint address → camera id, for the devices that are cameras
   */
  async camerasOfDevices(
    devices: Pick<DiscoveredDevice, "endpointAddress">[],
  ): Promise<Map<string, string>> {
    const cameras = await camerasByEndpoint(
      this.#db.sql,
      devices.map((d) => d.endpointAddress),
    );
    const byEndpoint = new Map<string, string>();
    for (const camera of cameras) {
      const endpoint = readOnvifIdentity(camera.onvif)?.endpointAddress;
      if (endpoint && !byEndpoint.has(endpoint)) byEndpoint.set(endpoint, camera.id);
    }
    return byEndpoint;
  }

  /**
   * Renames a camera or changes its source; a changed source reconnects a capturing camera.
   *
   * @param id the camera
   * @param patch what changes
   * @returns the stored camera
   * @throws {ValidationError} for a bad `rtspUrl`, `recordUrl` or `analysisUrl` (nothing changed)
   * @throws {NotFoundError}
   * @throws {ConflictError} when the new name is taken
   * @throws {UnknownBoxError} when `box` is not a registered box (nothing changed)
   */
  async update(id: string, patch: CameraPatch): Promise<Camera> {
    const source = patch.rtspUrl === undefined
      ? undefined
      : await this.#storedSource(patch.rtspUrl);
    // The record and analysis URLs must be on the camera's host: the new source's, else the
    // stored one's. A source moved to another host takes them along or clears them, never leaves
    // one pointing at the old host (the camera's credentials go to it). Checked and written in
    // one transaction on the locked row, so two changes at once cannot pass the check apart.
    const camera = await this.#db.sql.begin(async (tx) => {
      const stored = await lockCamera(tx, id);
      const host = new URL(source?.url ?? stored.sourceUrl).hostname;
      const streamUrl = (field: CameraStreamField, given: string | null | undefined) => {
        if (typeof given === "string") return cameraStreamUrl(field, given, host);
        const kept = given === undefined && source ? stored[field] : undefined;
        if (kept) cameraStreamUrl(field, kept, host);
        return given;
      };
      const changes: CameraChanges = {
        name: patch.name,
        transport: patch.transport,
        pinBox: patch.box,
        recordUrl: streamUrl("recordUrl", patch.recordUrl),
        analysisUrl: streamUrl("analysisUrl", patch.analysisUrl),
      };
      if (source) {
        changes.sourceUrl = source.url;
        changes.username = source.username ?? null;
        changes.passwordSealed = source.sealed ?? null;
      }
      return await updateCamera(tx, id, changes);
    });
    await this.#fleet.update(camera);
    return camera;
  }

  /**
   * videoCapture: starts or stops pulling a camera's stream, remembered across restarts.
   *
   * @param id the camera
   * @param action start or stop (stop also detaches analytics)
   * @returns the stored camera
   * @throws {NotFoundError}
   */
  async capture(id: string, action: "start" | "stop"): Promise<Camera> {
    await this.#fleet.capture(id, action);
    return await getCamera(this.#db.sql, id);
  }

  /**
   * Follows a camera's suspected move: re-onboards it at the claimed address with its stored
   * credentials (actors/onvif/move.ts).
   *
   * @param id the camera
   * @returns the camera at its new address
   * @throws {ConflictError} when it has no suspected move
   * @throws {OnvifError} when the device fails or is another device (the suspicion stays)
   */
  acceptMove(id: string): Promise<Camera> {
    return this.#watch.acceptMove(id);
  }

  /**
   * Forgets a camera's suspected move.
   *
   * @param id the camera
   * @returns the camera
   * @throws {ConflictError} when it has no suspected move
   */
  dismissMove(id: string): Promise<Camera> {
    return this.#watch.dismissMove(id);
  }

  /**
   * Deletes a camera: its unit stops, its row goes (its compile jobs with it, and the running
   * ones are stopped), its detections and files are purged in the background. Concurrent deletes
   * of one camera share one deletion and all succeed.
   *
   * @param id the camera
   * @throws {NotFoundError} when it does not exist (and nobody is deleting it)
   */
  async delete(id: string): Promise<void> {
    await this.#fleet.delete(id);
    // After the row is gone, so no queued job of the camera can be claimed after this.
    await this.#compiler?.cancelCamera(id);
  }

  /** Validates a source URL and splits its credentials; the password comes back sealed. */
  async #storedSource(raw: string) {
    const valid = validateSourceUrl(raw, { field: "rtspUrl" });
    const { url, username, password } = splitCredentials(valid.href, "rtspUrl");
    return {
      url,
      username: username ?? undefined,
      sealed: password ? await this.#secrets.seal(password) : undefined,
    };
  }

  /**
   * Stores a camera onboarded over ONVIF and starts supervising it: the recording profile's
   * stream URI is its source, the ONVIF credentials its credentials (password sealed), the onboarding
   * result minus secrets its `onvif` info.
   *
   * @throws {OnvifError} `onvif_unsupported` when the stream URI is not usable (nothing stored)
   * @throws {ConflictError} when the name is taken
   */
  async #insertOnvif(
    name: string,
    info: OnvifCameraInfo,
    access: OnvifCredentials & {
      transport?: Transport;
      analysisUrl?: string;
      box?: string | null;
    },
  ): Promise<Camera> {
    const sourceUrl = onvifSourceUrl(info);
    const row = await insertCamera(this.#db.sql, {
      id: uuidv7(),
      name,
      sourceUrl,
      username: access.username,
      passwordSealed: access.password ? await this.#secrets.seal(access.password) : undefined,
      transport: access.transport ?? "tcp",
      onvif: storedOnvifInfo(info),
      analysisUrl: access.analysisUrl,
      pinBox: access.box ?? undefined,
    });
    return await this.#supervise(row);
  }

  /** Hands a new row to the fleet; a row the fleet cannot supervise is deleted again. */
  async #supervise(row: Camera): Promise<Camera> {
    try {
      await this.#fleet.add(row);
    } catch (error) {
      await deleteCamera(this.#db.sql, row.id).catch(() => {});
      throw error;
    }
    return row;
  }
}

/**
 * A camera name for an adopted device that was given none: its announced name, else its model
 * and serial number; control characters removed, at most 100 characters (the camera name rules).
 */
function defaultName(
  device: DiscoveredDevice,
  info: { model: string; serialNumber: string },
): string {
  const raw = device.name ?? [info.model, info.serialNumber].filter(Boolean).join(" ");
  // deno-lint-ignore no-control-regex -- dropping control characters is the point
  const clean = raw.replace(/[\x00-\x1f\x7f]/g, "").trim().slice(0, 100);
  return clean || `camera ${device.id.slice(0, 8)}`;
}
