/**
 * The analysis actor of one camera (invoked while its `analytics` region is `attached`):
 * frames from the capture slot → fps throttle → motion gate → shared detector → class/score/mask
 * filter → tracker → per-frame detection rows (to the detections writer) → event logic → event
 * rows, snapshots, live feed and webhooks (the event recorder).
 *
 * Frames never enter actor context: the loop reads the camera's "latest frame wins" slot, and the
 * detector gets a copy of the pixels (its buffer is transferred to the inference Worker, while
 * the slot's frame stays usable for snapshots). New settings arrive as an event and apply to the
 * next frame, without restarting capture. No frame for {@linkcode OFFLINE_AFTER_MS} → the camera
 * is offline (an `offline` event opens; it closes when frames return). Stopping the actor (detach,
 * camera stop) aborts the loop and closes every open event.
 *
 * @module
 */
import { fromCallback } from "xstate";
import type { AnalyticsSettings } from "../models/analytics/settings.ts";
import { createMotionGate, type MotionGate } from "../models/analytics/motion.ts";
import { createTracker, type Tracker } from "../models/analytics/tracker.ts";
import {
  createEventEngine,
  type EventAction,
  eventConfig,
  type EventEngine,
} from "../models/analytics/events.ts";
import type { Frame } from "../models/detectors/types.ts";
import { filterDetections } from "../models/analytics/filter.ts";
import { normalizeBox } from "../models/analytics/geometry.ts";
import { throttleFrame } from "../models/analytics/throttle.ts";
import type { FrameSlot } from "../models/media/frame_slot.ts";
import type { BoardObject, TrackBoard } from "../models/analytics/track_board.ts";
import { type DetectionRow, newDetection } from "../models/store/detections.ts";
import { createLogger } from "../models/log.ts";
import type { DetectorPool } from "./detector_pool.ts";
import type { EventRecorder } from "./event_recorder.ts";

/** No frame for this long while attached → the camera counts as offline for events. */
export const OFFLINE_AFTER_MS = 3000;

/** Live numbers of a camera's analysis, for the API. */
export interface AnalysisStats {
  /** Frames the throttle let through. */
  frames: number;
  /** Detector runs. */
  detectorRuns: number;
  /** Share of frames the motion gate kept from the detector. */
  gateSkipRatio: number;
  /** Last inference time in the Worker. */
  lastInferenceMs: number | null;
  /** Tracks alive now. */
  tracks: number;
  /** Events open now. */
  openEvents: number;
  /** The last error (model failed to load...), until the next successful run. */
  lastError: string | null;
}

/** What the analysis of one camera reads from and writes to. */
export interface AnalysisDeps {
  cameraId: string;
  /** The camera's frame slot. */
  slot: FrameSlot;
  detectors: DetectorPool;
  /** The camera's detections writer. */
  detections: { push(row: DetectionRow): void };
  /** The camera's event recorder. */
  events: EventRecorder;
  /** Updated in place for the API. */
  stats: AnalysisStats;
  /** Where annotated live streams read what the analysis sees (posted every analysed frame). */
  board?: TrackBoard;
}

/** Events the analysis actor accepts from its parent. */
export type AnalysisEvent = { type: "ANALYTICS.SETTINGS"; settings: AnalyticsSettings };

/** Input of the analysis actor. */
export interface AnalysisInput {
  settings: AnalyticsSettings;
}

/** @returns zeroed stats */
export function emptyAnalysisStats(): AnalysisStats {
  return {
    frames: 0,
    detectorRuns: 0,
    gateSkipRatio: 0,
    lastInferenceMs: null,
    tracks: 0,
    openEvents: 0,
    lastError: null,
  };
}

interface Pipeline {
  settings: AnalyticsSettings;
  gate: MotionGate;
  tracker: Tracker;
}

function pipelineFor(settings: AnalyticsSettings, tracker?: Tracker): Pipeline {
  return {
    settings,
    gate: createMotionGate({
      threshold: settings.rules.motionThreshold,
      minMotion: settings.rules.minMotion,
      keepAliveFps: settings.rules.keepAliveFps,
      masks: settings.masks.map((m) => m.polygon),
    }),
    tracker: tracker ?? createTracker({
      confirmFrames: settings.rules.confirmFrames,
      leaveAfterMs: settings.rules.leaveAfterMs,
    }),
  };
}

/**
 * The analysis actor logic bound to one camera's slot, writers and detectors.
 *
 * @param deps the camera's resources
 * @returns callback actor logic with input {@linkcode AnalysisInput}
 */
export function createAnalysisLogic(deps: AnalysisDeps) {
  return fromCallback<AnalysisEvent, AnalysisInput>(({ input, receive }) => {
    const log = createLogger("analysis", { camera: deps.cameraId });
    const stop = new AbortController();
    let pipeline = pipelineFor(input.settings);
    const engine: EventEngine = createEventEngine(eventConfig(input.settings));
    let online = true;
    // The recorder applies batches in order, so a settings change or the final close never
    // overtakes the frame being recorded.
    const record = (actions: EventAction[], frame?: Frame) => {
      if (actions.length === 0) return;
      void deps.events.apply(actions, frame, pipeline.settings.webhook).then(() => {
        deps.stats.openEvents = deps.events.openCount();
      });
    };

    receive((event) => {
      const now = Date.now();
      // The tracker lives on under the new rules: replacing it would drop its tracks without the
      // event engine ending them, leaving their events open and giving their objects a second one.
      pipeline.tracker.configure(event.settings.rules);
      pipeline = pipelineFor(event.settings, pipeline.tracker);
      record(engine.configure(eventConfig(event.settings), now));
      log.info("analytics settings changed");
    });

    // What the last detector run saw; a frame the motion gate skipped shows the same objects.
    let seen: BoardObject[] = [];
    const post = (ts: number) =>
      deps.board?.post({ ts, intervalMs: 1000 / pipeline.settings.fps, objects: seen });

    const analyse = async (frame: Awaited<ReturnType<FrameSlot["next"]>>) => {
      const { settings, gate, tracker } = pipeline;
      if (!gate.check(frame, frame.ts).runDetector) {
        deps.stats.gateSkipRatio = gate.stats().skipRatio;
        post(frame.ts);
        return;
      }
      const detector = await deps.detectors.get(settings.detector);
      const copy = { width: frame.width, height: frame.height, data: frame.data.slice() };
      const outcome = await detector.detect(deps.cameraId, copy);
      if (outcome.status === "skipped" || stop.signal.aborted) return;
      deps.stats.detectorRuns++;
      deps.stats.lastInferenceMs = Math.round(outcome.inferenceMs);
      deps.stats.gateSkipRatio = gate.stats().skipRatio;
      deps.stats.lastError = null;
      const kept = filterDetections(
        outcome.detections,
        { ...settings, masks: settings.masks.map((m) => m.polygon) },
        frame.width,
        frame.height,
      );
      const update = tracker.update(kept, frame.ts);
      deps.stats.tracks = update.tracks.length;
      seen = update.tracks.filter((t) => t.misses === 0 && t.confirmed).map((t) => ({
        box: normalizeBox(t.box, frame.width, frame.height),
        label: t.label,
        trackId: t.id,
        score: t.score,
      }));
      post(frame.ts);
      for (const track of update.tracks) {
        if (track.misses !== 0) continue;
        deps.detections.push(newDetection({
          cameraId: deps.cameraId,
          ts: frame.ts,
          frame: frame.seq,
          trackId: track.id,
          label: track.label,
          score: Math.min(1, Math.max(0, track.score)),
          box: normalizeBox(track.box, frame.width, frame.height),
        }));
      }
      record(
        engine.frame({ now: frame.ts, width: frame.width, height: frame.height, ...update }),
        frame,
      );
    };

    const loop = async () => {
      let due: number | undefined;
      while (!stop.signal.aborted) {
        let frame;
        try {
          frame = await deps.slot.next(
            AbortSignal.any([stop.signal, AbortSignal.timeout(OFFLINE_AFTER_MS)]),
          );
        } catch {
          if (stop.signal.aborted) return;
          if (online) {
            online = false;
            const now = Date.now();
            record([
              ...engine.offline(now),
              ...engine.frame({
                now,
                width: 1,
                height: 1,
                tracks: [],
                ended: pipeline.tracker.expire(now),
              }),
            ]);
          }
          continue;
        }
        if (!online) {
          online = true;
          record(engine.online(frame.ts));
        }
        const throttle = throttleFrame(due, frame.ts, pipeline.settings.fps);
        due = throttle.due;
        if (!throttle.analyse) continue;
        deps.stats.frames++;
        try {
          await analyse(frame);
        } catch (error) {
          deps.stats.lastError = error instanceof Error ? error.message : String(error);
          log.warn("analysis failed on a frame", { error });
          // A model that cannot load fails every frame: do not spin.
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    };

    log.info("analytics attached", { detector: input.settings.detector, fps: input.settings.fps });
    void loop();
    return () => {
      stop.abort();
      deps.board?.clear();
      record(engine.closeAll(Date.now()));
      pipeline.tracker.clear();
      deps.stats.tracks = 0;
      log.info("analytics detached");
    };
  });
}
