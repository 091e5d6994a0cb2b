/**
 * The analysis actor of one camera (invoked while `analytics` is `attached`): capture slot → fps
 * throttle → motion gate → shared detector (on the regions that moved and the tracked objects, or
 * the whole frame: motion_regions.ts) → class/score/mask filter → tracker → detection rows →
 * event logic → event recorder. Frames stay out of actor context; the loop sends a frame without
 * awaiting the previous answer, and answers apply in frame order. New settings apply to the next
 * frame; no frame for {@linkcode OFFLINE_AFTER_MS} opens an `offline` event; stopping closes every
 * open event. Why inference is shared and pipelined: docs/decisions/inference-worker.md.
 *
 * @module
 */
import { fromCallback } from "xstate";
import type { AnalyticsSettings } from "../../models/analytics/settings.ts";
import { sceneSettled } from "../../models/analytics/settled_scene.ts";
import { createMotionGate, type MotionGate } from "../../models/analytics/motion.ts";
import { createTracker, type Tracker } from "../../models/analytics/tracker.ts";
import { createEventEngine, eventConfig, type EventEngine } from "../../models/analytics/events.ts";
import type { EventAction } from "../../models/analytics/event_types.ts";
import type { Box, Frame } from "../../models/detectors/types.ts";
import { detectionRegions } from "../../models/analytics/motion_regions.ts";
import type { DetectOutcome } from "../../models/detectors/shared_detector.ts";
import { filterDetections } from "../../models/analytics/filter.ts";
import { normalizeBox } from "../../models/analytics/geometry.ts";
import { throttleFrame } from "../../models/analytics/throttle.ts";
import type { CapturedFrame, FrameSlot } from "../../models/media/frame_slot.ts";
import type { BoardObject, TrackBoard } from "../../models/analytics/track_board.ts";
import { type DetectionRow, newDetection } from "../../models/store/detections.ts";
import { createLogger } from "../../models/log.ts";
import type { DetectorPool } from "./detector_pool.ts";
import type { EventRecorder } from "./event_recorder.ts";

/** No frame for this long while attached → the camera counts as offline for events. */
export const OFFLINE_AFTER_MS = 3000;
/** Window over which the analysed frame rate is measured. */
const FPS_WINDOW_MS = 5000;

/** Live numbers of a camera's analysis, for the API. */
export interface AnalysisStats {
  /** Frames the throttle let through. */
  frames: number;
  /** Detector runs. */
  detectorRuns: number;
  /** Detector runs sent with regions (crops around motion and tracks) instead of the whole frame. */
  regionRuns: number;
  /** Frames the motion gate kept from the detector. */
  gateSkipped: number;
  /** Frames sent to the detector but replaced by a newer one of this camera before it ran. */
  skipped: number;
  /** Frames analysed per second (gate skips + detector runs) over the last few seconds. */
  fps: number;
  /** Events opened since attach (every kind). */
  eventsOpened: number;
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
  /** Told each inference time in ms (the metrics histogram). */
  onInference?: (ms: number) => void;
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
    regionRuns: 0,
    gateSkipped: 0,
    skipped: 0,
    fps: 0,
    eventsOpened: 0,
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
      idleKeepAliveFps: settings.rules.idleKeepAliveFps,
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
      for (const action of actions) if (action.type === "open") deps.stats.eventsOpened++;
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
    // Where the live tracks were last seen (frame pixels): crops keep looking there.
    let tracked: Box[] = [];
    let lastFullFrame = -Infinity;
    // Nothing tracked waits on a run: the keep-alive may slow to the idle rate (settled_scene.ts).
    let settled = true;
    const post = (ts: number) =>
      deps.board?.post({ ts, intervalMs: 1000 / pipeline.settings.fps, objects: seen });

    const recent: number[] = [];
    /** A frame went all the way (gate skip or detector answer): counts for the analysed fps. */
    const analysed = (now: number) => {
      recent.push(now);
      while (recent.length > 2 && now - recent[0]! > FPS_WINDOW_MS) recent.shift();
      const first = recent[0]!;
      deps.stats.fps = now > first ? ((recent.length - 1) * 1000) / (now - first) : 0;
    };

    /**
     * Sends a frame past the gate to the detector. Resolves once it is queued, with the pending
     * answer (wrapped, so awaiting this does not wait for the inference).
     */
    const submit = async (
      frame: CapturedFrame,
    ): Promise<{ answer: Promise<DetectOutcome>; cropped: boolean } | undefined> => {
      const { settings, gate } = pipeline;
      const decision = gate.check(frame, frame.ts, settled);
      if (decision.reason === "skip") {
        deps.stats.gateSkipped++;
        deps.stats.gateSkipRatio = gate.stats().skipRatio;
        analysed(Date.now());
        post(frame.ts);
        return undefined;
      }
      const detector = await deps.detectors.get(settings.detector);
      const copy = { width: frame.width, height: frame.height, data: frame.data.slice() };
      const regions = detectionRegions({
        enabled: settings.rules.motionCrops,
        reason: decision.reason,
        motion: decision.regions,
        tracked,
        busy: tracked.length > 0 || deps.events.openCount() > 0,
        now: frame.ts,
        lastFullFrame,
        frameWidth: frame.width,
        frameHeight: frame.height,
      });
      if (!regions) lastFullFrame = frame.ts;
      const answer = detector.detect(deps.cameraId, copy, { classes: settings.classes, regions });
      // Handled where the answers are applied, in order; this only keeps it from counting as
      // unhandled while it waits its turn.
      answer.catch(() => {});
      return { answer, cropped: regions !== undefined };
    };

    /** Applies one answer: tracker, detection rows, events. Called in frame order. */
    const apply = (frame: CapturedFrame, outcome: DetectOutcome, cropped: boolean) => {
      const { settings, gate, tracker } = pipeline;
      if (stop.signal.aborted) return;
      if (outcome.status === "skipped") {
        deps.stats.skipped++;
        // A full frame replaced by a newer one never ran: the refresh is still due.
        if (!cropped) lastFullFrame = -Infinity;
        return;
      }
      deps.stats.detectorRuns++;
      if (cropped) deps.stats.regionRuns++;
      analysed(Date.now());
      deps.stats.lastInferenceMs = Math.round(outcome.inferenceMs);
      deps.onInference?.(outcome.inferenceMs);
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
      tracked = update.tracks.map((t) => t.box);
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
      settled = sceneSettled(update.tracks, engine.waitsOnRun());
    };

    /** Set when a frame failed; the loop pauses before the next, so a broken model cannot spin. */
    let failed = false;
    const fail = (error: unknown) => {
      failed = true;
      deps.stats.lastError = error instanceof Error ? error.message : String(error);
      log.warn("analysis failed on a frame", { error });
    };

    const loop = async () => {
      let due: number | undefined;
      // Answers are applied in the order their frames were sent.
      let applied: Promise<void> = Promise.resolve();
      while (!stop.signal.aborted) {
        // Frames arriving meanwhile only replace each other in the slot (no work).
        await deps.detectors.opened(pipeline.settings.detector)?.vacancy(deps.cameraId);
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
          const sent = await submit(frame);
          if (sent) {
            const current = frame;
            applied = applied.then(() => sent.answer).then((outcome) =>
              apply(current, outcome, sent.cropped)
            )
              .catch(fail);
          }
        } catch (error) {
          fail(error);
        }
        if (failed) {
          // A model that cannot load fails every frame: do not spin.
          await new Promise((r) => setTimeout(r, 1000));
          failed = false;
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
