/**
 * PTZ for the API: one ONVIF session per camera (reopened after a failure or every
 * {@linkcode SESSION_TTL_MS}, so the clock offset stays right), and the guarantee that a move
 * ends. Every continuous move carries the camera's own timeout AND arms a timer of ours that
 * sends Stop when it runs out: a camera that ignores the timeout (some do) still stops, and a
 * client that dies mid-move leaves nothing spinning. A new move or a stop replaces the timer.
 *
 * @module
 */
import { type OnvifSession, openOnvifSession } from "../../models/onvif/session.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";
import * as ptz from "../../models/onvif/ptz.ts";
import type { Database } from "../../models/store/database.ts";
import type { SecretBox } from "../../models/secret_box.ts";
import { createLogger } from "../../models/log.ts";
import { NotFoundError } from "../../models/errors.ts";
import type { OnvifRequest } from "../../models/onvif/requests.ts";
import type { XmlElement } from "../../models/onvif/xml.ts";
import { type CameraOnvifAccess, cameraOnvifAccess } from "./camera_access.ts";

/** A session older than this is reopened (the camera's clock is read again). */
export const SESSION_TTL_MS = 10 * 60_000;
/** A move's timeout when the client gives none. */
export const DEFAULT_MOVE_TIMEOUT_MS = 5000;
/** The longest move a client may ask for. */
export const MAX_MOVE_TIMEOUT_MS = 60_000;

/** What `GET /api/cameras/{id}/ptz` answers. */
export interface PtzDescription {
  supported: boolean;
  presets: ptz.PtzPreset[];
  limits: ptz.PtzLimits | null;
  home: boolean;
  position: ptz.PtzVector | null;
}

/** PTZ of every camera. */
export interface PtzControl {
  /** Whether the camera has PTZ, its presets, limits, home support and position. */
  describe(cameraId: string): Promise<PtzDescription>;
  /** Starts a continuous move that ends after `timeoutMs` at the latest. */
  move(cameraId: string, velocity: ptz.PtzVector, timeoutMs: number): Promise<void>;
  /** Stops pan, tilt and zoom. */
  stop(cameraId: string): Promise<void>;
  /** Moves to a preset, named by token or name. @throws {NotFoundError} */
  goto(cameraId: string, preset: string): Promise<void>;
  /** Moves to the home position. */
  home(cameraId: string): Promise<void>;
  /** Saves the current position under `name` (over the preset of that name, if any). */
  savePreset(cameraId: string, name: string): Promise<ptz.PtzPreset>;
  /** Forgets a camera (deleted or changed): its session and its move timer. */
  forget(cameraId: string): void;
  /** Clears every move timer, sending Stop for moves still running. */
  close(): Promise<void>;
}

interface Entry {
  key: string;
  openedAt: number;
  session: Promise<OnvifSession>;
}

/**
 * Makes the PTZ control.
 *
 * @param deps database, secret box, per-call ONVIF time limit
 * @returns the control
 */
export function createPtzControl(
  deps: { db: Database; secrets: SecretBox; timeoutMs?: number },
): PtzControl {
  const log = createLogger("ptz");
  const sessions = new Map<string, Entry>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const pendingStops = new Set<Promise<void>>();

  const sessionOf = async (cameraId: string) => {
    const access = await cameraOnvifAccess(deps, cameraId);
    const key = `${access.deviceUrl}\n${access.username}\n${access.password}`;
    let entry = sessions.get(cameraId);
    if (!entry || entry.key !== key || Date.now() - entry.openedAt > SESSION_TTL_MS) {
      entry = { key, openedAt: Date.now(), session: openOnvifSession(access) };
      sessions.set(cameraId, entry);
    }
    const opened = entry;
    try {
      return { access, session: await opened.session };
    } catch (error) {
      if (sessions.get(cameraId) === opened) sessions.delete(cameraId);
      throw error;
    }
  };

  /** Runs PTZ calls; a failure other than a fault closes the session (the camera may be new). */
  const withPtz = async <T>(
    cameraId: string,
    run: (call: (request: OnvifRequest) => Promise<XmlElement>, a: CameraOnvifAccess) => T,
  ): Promise<Awaited<T>> => {
    const { access, session } = await sessionOf(cameraId);
    const url = session.ptzUrl;
    if (!url) {
      throw new OnvifError("onvif_not_capable", `onvif: camera ${cameraId} has no PTZ service`);
    }
    try {
      return await run((request) => session.call(url, request), access);
    } catch (error) {
      if (error instanceof OnvifError && error.code !== "onvif_fault") sessions.delete(cameraId);
      throw error;
    }
  };

  const clearTimer = (cameraId: string) => {
    clearTimeout(timers.get(cameraId));
    timers.delete(cameraId);
  };

  const stop = (cameraId: string) => {
    clearTimer(cameraId);
    return withPtz(cameraId, async (call, access) => {
      await call(ptz.stopMove(access.profileToken));
    });
  };

  const presetsOf = (cameraId: string) =>
    withPtz(
      cameraId,
      async (call, access) => ptz.readPresets(await call(ptz.getPresets(access.profileToken))),
    );

  return {
    async describe(cameraId) {
      try {
        return await withPtz(cameraId, async (call, access) => {
          const presets = ptz.readPresets(await call(ptz.getPresets(access.profileToken)));
          // Optional calls: a camera may fault on them; a silent or broken one still fails.
          const limits = await call(ptz.getNodes()).then(
            ptz.readLimits,
            onFault(ptz.DEFAULT_PTZ_LIMITS),
          );
          const position = await call(ptz.getStatus(access.profileToken))
            .then(ptz.readPosition, onFault(undefined));
          return {
            supported: true,
            presets,
            limits,
            home: limits.homeSupported,
            position: position ?? null,
          };
        });
      } catch (error) {
        if (!(error instanceof OnvifError) || error.code !== "onvif_not_capable") throw error;
        return { supported: false, presets: [], limits: null, home: false, position: null };
      }
    },
    async move(cameraId, velocity, timeoutMs) {
      await withPtz(cameraId, async (call, access) => {
        await call(ptz.continuousMove(access.profileToken, velocity, timeoutMs));
      });
      clearTimer(cameraId);
      timers.set(
        cameraId,
        setTimeout(() => {
          timers.delete(cameraId);
          const stopping = stop(cameraId).catch((error) => {
            log.warn("stopping a move at its timeout failed", { camera: cameraId, error });
          }).finally(() => pendingStops.delete(stopping));
          pendingStops.add(stopping);
        }, timeoutMs),
      );
    },
    stop,
    async goto(cameraId, preset) {
      const presets = await presetsOf(cameraId);
      const found = presets.find((p) => p.token === preset) ??
        presets.find((p) => p.name === preset);
      if (!found) throw new NotFoundError(`preset ${JSON.stringify(preset)} of camera ${cameraId}`);
      clearTimer(cameraId);
      await withPtz(
        cameraId,
        (call, access) => call(ptz.gotoPreset(access.profileToken, found.token)),
      );
    },
    async home(cameraId) {
      clearTimer(cameraId);
      await withPtz(cameraId, (call, access) => call(ptz.gotoHomePosition(access.profileToken)));
    },
    async savePreset(cameraId, name) {
      const existing = (await presetsOf(cameraId)).find((p) => p.name === name);
      return await withPtz(cameraId, async (call, access) => {
        const reply = await call(ptz.setPreset(access.profileToken, name, existing?.token));
        const token = ptz.readPresetToken(reply) ?? existing?.token;
        if (!token) {
          throw new OnvifError("onvif_bad_reply", "onvif: SetPreset returned no preset token");
        }
        return { token, name };
      });
    },
    forget(cameraId) {
      clearTimer(cameraId);
      sessions.delete(cameraId);
    },
    async close() {
      const running = [...timers.keys()];
      for (const id of running) clearTimer(id);
      await Promise.all([
        ...running.map((id) => stop(id).catch(() => {})),
        ...pendingStops,
      ]);
      sessions.clear();
    },
  };
}

/** A rejection handler that turns a SOAP fault into `fallback` and rethrows anything else. */
function onFault<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof OnvifError && error.code === "onvif_fault") return fallback;
    throw error;
  };
}
