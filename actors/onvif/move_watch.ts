/**
 * Follows onboarded ONVIF cameras to new addresses reported by discovery (`discovery.moved`, or
 * `discovery.found` at a new XAddr): a claim that passes the checks (actors/onvif/move.ts)
 * re-onboards the camera there and tells the fleet; one that does not becomes a suspected move an
 * admin accepts or dismisses through this watch. One camera's work runs in order.
 * Why the checks: SECURITY.md (camera takeover through discovery).
 *
 * @module
 */
import type { DiscoveryEvent, DiscoveryRegistry } from "./discovery.ts";
import { camerasByEndpoint, getCamera, setSuspectedMove } from "../../models/store/cameras.ts";
import type { Camera } from "../../models/store/cameras.ts";
import { ConflictError } from "../../models/errors.ts";
import { createLogger } from "../../models/log.ts";
import { acceptSuspectedMove, handleClaimedMove, type MoveDeps } from "./move.ts";

const log = createLogger("onvif-watch");

/** Options of {@linkcode watchOnvifMoves}. */
export interface OnvifWatchOptions extends MoveDeps {
  /** The registry whose events are followed. */
  registry: DiscoveryRegistry;
}

/** A running watch. */
export interface OnvifWatch {
  /**
   * Follows the camera's suspected move (an admin's decision).
   *
   * @throws {ConflictError} when it has none; {@linkcode OnvifError} when the device fails
   */
  acceptMove(cameraId: string): Promise<Camera>;
  /**
   * Forgets the camera's suspected move.
   *
   * @throws {ConflictError} when it has none
   */
  dismissMove(cameraId: string): Promise<Camera>;
  /** Resolves once every refresh started so far has finished (for tests and shutdown). */
  idle(): Promise<void>;
  /** Stops listening and waits for refreshes in flight. */
  stop(): Promise<void>;
}

/**
 * Starts following cameras to new addresses.
 *
 * @param options registry, database, secrets, fleet, neighbour table
 * @returns the watch
 * @example
 * ```ts
 * const watch = watchOnvifMoves({ registry, db, secrets, fleet });
 * // ... on shutdown:
 * await watch.stop();
 * ```
 */
export function watchOnvifMoves(options: OnvifWatchOptions): OnvifWatch {
  /** Per camera, the last piece of work queued (work on one camera runs in order). */
  const chains = new Map<string, Promise<unknown>>();
  /** Event handlings in flight. */
  const pending = new Set<Promise<void>>();

  const serialized = <T>(cameraId: string, work: () => Promise<T>): Promise<T> => {
    const previous = chains.get(cameraId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    chains.set(cameraId, next);
    next.catch(() => {}).finally(() => {
      if (chains.get(cameraId) === next) chains.delete(cameraId);
    });
    return next;
  };

  const onEvent = (event: DiscoveryEvent) => {
    if (event.type !== "discovery.found" && event.type !== "discovery.moved") return;
    const device = event.device;
    const work = (async () => {
      const cameras = await camerasByEndpoint(options.db.sql, [device.endpointAddress]);
      await Promise.all(
        cameras.map((camera) =>
          serialized(camera.id, () => handleClaimedMove(options, camera.id, device)).catch(
            (error) => log.warn("could not follow a moved camera", { camera: camera.id, error }),
          )
        ),
      );
    })().catch((error) => log.warn("could not look up a discovered device", { error }));
    pending.add(work);
    work.finally(() => pending.delete(work));
  };

  const unsubscribe = options.registry.subscribe(onEvent);
  const idle = async () => {
    while (pending.size > 0) await Promise.all(pending);
    await Promise.all([...chains.values()].map((chain) => chain.catch(() => {})));
  };
  return {
    acceptMove: (cameraId) => serialized(cameraId, () => acceptSuspectedMove(options, cameraId)),
    dismissMove: (cameraId) =>
      serialized(cameraId, async () => {
        const camera = await getCamera(options.db.sql, cameraId);
        if (!camera.suspectedMove) {
          throw new ConflictError(`camera ${cameraId} has no suspected move`);
        }
        log.info("suspected move dismissed", { camera: cameraId });
        return await setSuspectedMove(options.db.sql, cameraId, null);
      }),
    idle,
    async stop() {
      unsubscribe();
      await idle();
    },
  };
}
