/**
 * Follows onboarded ONVIF cameras to new addresses. When discovery reports a device whose
 * endpoint address belongs to a stored camera at another XAddr — `discovery.moved` (DHCP gave it
 * a new IP while Vigil watched) or `discovery.found` with a new XAddr (it moved while Vigil was
 * down) — the camera is re-onboarded there with its stored credentials, its source URL and ONVIF
 * info are replaced, and the fleet is told, so a capturing camera reconnects by itself.
 *
 * Trust: discovery replies are unauthenticated, so a device claiming a camera's endpoint address
 * is only followed if, at the new address, it accepts the camera's credentials AND reports the
 * same endpoint reference. Refreshes of one camera run one at a time.
 *
 * @module
 */
import {
  adoptDiscoveredDevice,
  type DiscoveredDevice,
  type DiscoveryEvent,
  type DiscoveryRegistry,
  movedCameraXaddr,
} from "./discovery.ts";
import type { Fleet } from "./fleet.ts";
import type { Database } from "../models/store/database.ts";
import type { SecretBox } from "../models/secret_box.ts";
import {
  camerasByEndpoint,
  getSealedPassword,
  updateOnvifSource,
} from "../models/store/cameras.ts";
import { onvifSourceUrl, readOnvifIdentity, storedOnvifInfo } from "../models/onvif/stored_info.ts";
import { OnvifError } from "../models/onvif/onvif_error.ts";
import { createLogger } from "../models/log.ts";

const log = createLogger("onvif-watch");

/** Options of {@linkcode watchOnvifMoves}. */
export interface OnvifWatchOptions {
  /** The registry whose events are followed. */
  registry: DiscoveryRegistry;
  db: Database;
  secrets: SecretBox;
  /** Told about every refreshed camera. */
  fleet: Pick<Fleet, "update">;
  /** Time limit of each ONVIF call (default: the client's). */
  timeoutMs?: number;
}

/** A running watch. */
export interface OnvifWatch {
  /** Resolves once every refresh started so far has finished (for tests and shutdown). */
  idle(): Promise<void>;
  /** Stops listening and waits for refreshes in flight. */
  stop(): Promise<void>;
}

/**
 * Starts following cameras to new addresses.
 *
 * @param options registry, database, secrets, fleet
 * @returns the watch
 * @example
 * ```ts
 * const watch = watchOnvifMoves({ registry, db, secrets, fleet });
 * // ... on shutdown:
 * await watch.stop();
 * ```
 */
export function watchOnvifMoves(options: OnvifWatchOptions): OnvifWatch {
  /** Per camera, the last refresh queued (refreshes of one camera run in order). */
  const chains = new Map<string, Promise<void>>();
  /** Event handlings in flight. */
  const pending = new Set<Promise<void>>();

  const refresh = async (cameraId: string, device: DiscoveredDevice) => {
    // Re-read the row: an earlier refresh in the chain may have handled this move already.
    const [camera] = (await camerasByEndpoint(options.db.sql, [device.endpointAddress]))
      .filter((c) => c.id === cameraId);
    const stored = camera && readOnvifIdentity(camera.onvif);
    const xaddr = stored && movedCameraXaddr(stored, device);
    if (!camera || !stored || !xaddr) return;
    const sealed = await getSealedPassword(options.db.sql, camera.id);
    const started = performance.now();
    const info = await adoptDiscoveredDevice(
      { xaddrs: [xaddr, ...device.xaddrs.filter((x) => x !== xaddr)] },
      {
        username: camera.username ?? "",
        password: sealed ? await options.secrets.open(sealed) : "",
        timeoutMs: options.timeoutMs,
      },
    );
    if (info.endpointAddress !== stored.endpointAddress) {
      throw new OnvifError(
        "onvif_bad_reply",
        `onvif: the device at ${xaddr} is not camera ${camera.id} ` +
          `(endpoint ${info.endpointAddress ?? "unknown"})`,
      );
    }
    const updated = await updateOnvifSource(options.db.sql, camera.id, {
      sourceUrl: onvifSourceUrl(info),
      onvif: storedOnvifInfo(info),
    });
    await options.fleet.update(updated);
    log.info("camera moved; source refreshed", {
      camera: camera.id,
      from: stored.deviceUrl,
      to: info.deviceUrl,
      ms: Math.round(performance.now() - started),
    });
  };

  const onEvent = (event: DiscoveryEvent) => {
    if (event.type !== "discovery.found" && event.type !== "discovery.moved") return;
    const device = event.device;
    const work = (async () => {
      const cameras = await camerasByEndpoint(options.db.sql, [device.endpointAddress]);
      await Promise.all(cameras.map((camera) => {
        const previous = chains.get(camera.id) ?? Promise.resolve();
        const next = previous.then(() => refresh(camera.id, device)).catch((error) => {
          log.warn("could not follow a moved camera", { camera: camera.id, error });
        });
        chains.set(camera.id, next);
        return next.finally(() => {
          if (chains.get(camera.id) === next) chains.delete(camera.id);
        });
      }));
    })().catch((error) => log.warn("could not look up a discovered device", { error }));
    pending.add(work);
    work.finally(() => pending.delete(work));
  };

  const unsubscribe = options.registry.subscribe(onEvent);
  const idle = async () => {
    while (pending.size > 0) await Promise.all(pending);
  };
  return {
    idle,
    async stop() {
      unsubscribe();
      await idle();
    },
  };
}
