/**
 * A multi-object tracker for one camera: track ids that stay the same across frames and short
 * occlusions, so "a person appeared" is one event. Greedy, per-label association, first by IoU
 * with each track's predicted box (what keeps two crossing people apart), then by centre distance
 * for fast objects; a track leaves after `leaveAfterMs` of time, not frames, because the motion
 * gate makes the detector rate vary.
 *
 * @module
 */
import type { Box, Detection } from "../detectors/types.ts";
import { uuidv7 } from "../ids.ts";
import { iou } from "../detectors/box.ts";
import { boxCenter } from "./geometry.ts";

/** One tracked object. Tracks returned by the tracker are snapshots: later updates do not change them. */
export interface Track {
  /** Unique per camera and across restarts (UUIDv7 by default). */
  id: string;
  label: string;
  classId: number;
  /** The last detected box, source pixels. When `misses` is 0, this frame's detection. */
  box: Box;
  /** The last detection's score. */
  score: number;
  /** The best score so far. */
  bestScore: number;
  /** Frames the object was detected in. */
  hits: number;
  /** Detector runs since the last hit (0 = seen in this frame). */
  misses: number;
  /** `hits` reached `confirmFrames`; stays true. Events start only for confirmed tracks. */
  confirmed: boolean;
  /** Time of the first detection, ms. */
  firstSeen: number;
  /** Time of the last detection, ms. */
  lastSeen: number;
}

/** Options of {@link createTracker}. */
export interface TrackerOptions {
  /** Hits that confirm a track (settings `rules.confirmFrames`). */
  confirmFrames: number;
  /** A track unseen this long has ended (settings `rules.leaveAfterMs`). */
  leaveAfterMs: number;
  /** Least IoU between a predicted box and a detection to continue a track (default 0.2). */
  iouThreshold?: number;
  /**
   * Greatest centre distance, in units of the track's box size (the larger of width and height),
   * for the fallback association (default 1).
   */
  maxCentreDistance?: number;
  /** Makes track ids (default UUIDv7, unique across cameras and restarts). */
  newId?: () => string;
}

/** What one update returns. */
export interface TrackerUpdate {
  /** Every live track, seen this frame (`misses === 0`) or coasting through an occlusion. */
  tracks: Track[];
  /** Tracks that ended with this update: unseen for `leaveAfterMs`, or tentative and lost. */
  ended: Track[];
}

/** A tracker for one camera; see {@link createTracker}. */
export interface Tracker {
  /**
   * Feeds one detector run. Call it only for frames the detector ran on: a frame skipped by the
   * motion gate is not a miss.
   */
  update(detections: readonly Detection[], now: number): TrackerUpdate;
  /** Ends tracks unseen for `leaveAfterMs` without a detector run (camera offline, long stall). */
  expire(now: number): Track[];
  /** Ends every track (detach). */
  clear(): Track[];
  /**
   * Applies new confirmation and leave rules to the live tracks (a settings change while
   * attached): an object in view keeps its track, so it keeps its events. A tentative track with
   * enough hits under the new `confirmFrames` is confirmed at its next hit; a lower
   * `leaveAfterMs` ends unseen tracks at the next update or expiry, through `ended` as usual.
   *
   * @throws {RangeError} if an option is out of range (nothing changes)
   */
  configure(rules: Pick<TrackerOptions, "confirmFrames" | "leaveAfterMs">): void;
}

/** A tentative track is dropped at this many consecutive misses: a one-frame ghost never lingers. */
const TENTATIVE_MAX_MISSES = 2;
/** Weight of the newest measured velocity in the smoothed one. */
const VELOCITY_GAIN = 0.5;

interface Live {
  track: Track;
  /** Smoothed velocity of the box centre, pixels per ms. */
  vx: number;
  vy: number;
}

/**
 * Makes a tracker.
 *
 * @param options confirmation, leave time and association thresholds
 * @returns the tracker, holding only its live tracks
 * @throws {RangeError} if an option is out of range
 * @example
 * ```ts
 * const tracker = createTracker({ confirmFrames: 3, leaveAfterMs: 1500 });
 * const { tracks, ended } = tracker.update(detections, Date.now());
 * tracks.filter((t) => t.misses === 0); // the objects in this frame, with their ids
 * ```
 */
export function createTracker(options: TrackerOptions): Tracker {
  const iouThreshold = options.iouThreshold ?? 0.2;
  const maxCentreDistance = options.maxCentreDistance ?? 1;
  const newId = options.newId ?? (() => uuidv7());
  checkRules(options);
  const rules = { confirmFrames: options.confirmFrames, leaveAfterMs: options.leaveAfterMs };
  checkOption("iouThreshold", iouThreshold, 0.01, 1);
  checkOption("maxCentreDistance", maxCentreDistance, 0, 100);
  const live = new Map<string, Live>();

  const endWhere = (gone: (entry: Live) => boolean): Track[] => {
    const ended: Track[] = [];
    for (const [id, entry] of live) {
      if (!gone(entry)) continue;
      live.delete(id);
      ended.push({ ...entry.track });
    }
    return ended;
  };

  return {
    update(detections, now) {
      const unmatched = new Set(live.values());
      const matches = associate([...unmatched], detections, now, iouThreshold, maxCentreDistance);
      const fresh: Detection[] = [];
      for (const [d, detection] of detections.entries()) {
        const entry = matches.get(d);
        if (!entry) {
          fresh.push(detection);
          continue;
        }
        unmatched.delete(entry);
        hit(entry, detection, now, rules.confirmFrames);
      }
      for (const entry of unmatched) entry.track.misses++;
      for (const detection of fresh) {
        const track: Track = {
          id: newId(),
          label: detection.label,
          classId: detection.classId,
          box: [...detection.box],
          score: detection.score,
          bestScore: detection.score,
          hits: 1,
          misses: 0,
          confirmed: rules.confirmFrames <= 1,
          firstSeen: now,
          lastSeen: now,
        };
        live.set(track.id, { track, vx: 0, vy: 0 });
      }
      const ended = endWhere(({ track }) =>
        track.misses > 0 &&
        (now - track.lastSeen >= rules.leaveAfterMs ||
          (!track.confirmed && track.misses >= TENTATIVE_MAX_MISSES))
      );
      return { tracks: [...live.values()].map(({ track }) => ({ ...track })), ended };
    },
    expire(now) {
      return endWhere(({ track }) => now - track.lastSeen >= rules.leaveAfterMs);
    },
    clear() {
      return endWhere(() => true);
    },
    configure(next) {
      checkRules(next);
      rules.confirmFrames = next.confirmFrames;
      rules.leaveAfterMs = next.leaveAfterMs;
    },
  };
}

function checkRules(rules: Pick<TrackerOptions, "confirmFrames" | "leaveAfterMs">): void {
  checkOption("confirmFrames", rules.confirmFrames, 1, 1000);
  checkOption("leaveAfterMs", rules.leaveAfterMs, 0, 86_400_000);
}

function hit(entry: Live, detection: Detection, now: number, confirmFrames: number): void {
  const track = entry.track;
  const dt = now - track.lastSeen;
  if (dt > 0) {
    const [px, py] = boxCenter(track.box);
    const [cx, cy] = boxCenter(detection.box);
    const fresh = track.hits === 1;
    // The second sighting gives the first real velocity; after that, smooth out detector jitter.
    entry.vx = fresh ? (cx - px) / dt : lerp(entry.vx, (cx - px) / dt, VELOCITY_GAIN);
    entry.vy = fresh ? (cy - py) / dt : lerp(entry.vy, (cy - py) / dt, VELOCITY_GAIN);
  }
  track.box = [...detection.box];
  track.score = detection.score;
  track.bestScore = Math.max(track.bestScore, detection.score);
  track.hits++;
  track.misses = 0;
  track.lastSeen = now;
  if (track.hits >= confirmFrames) track.confirmed = true;
}

/** Maps detection index → the track that continues with it. */
function associate(
  entries: readonly Live[],
  detections: readonly Detection[],
  now: number,
  iouThreshold: number,
  maxCentreDistance: number,
): Map<number, Live> {
  const predicted = new Map(entries.map((entry) => [entry, predict(entry, now)]));
  const byIou: Pair[] = [];
  const byDistance: Pair[] = [];
  for (const entry of entries) {
    const box = predicted.get(entry)!;
    const [tx, ty] = boxCenter(box);
    const size = Math.max(box[2] - box[0], box[3] - box[1], 1);
    detections.forEach((detection, d) => {
      if (detection.label !== entry.track.label) return;
      const overlap = iou(box, detection.box);
      if (overlap >= iouThreshold) byIou.push({ entry, d, cost: -overlap });
      const [dx, dy] = boxCenter(detection.box);
      const distance = Math.hypot(dx - tx, dy - ty) / size;
      if (distance <= maxCentreDistance) byDistance.push({ entry, d, cost: distance });
    });
  }
  const matches = new Map<number, Live>();
  const taken = new Set<Live>();
  for (const pairs of [byIou, byDistance]) {
    pairs.sort((a, b) => a.cost - b.cost);
    for (const { entry, d } of pairs) {
      if (taken.has(entry) || matches.has(d)) continue;
      taken.add(entry);
      matches.set(d, entry);
    }
  }
  return matches;
}

interface Pair {
  entry: Live;
  d: number;
  /** Lower is better. */
  cost: number;
}

function predict({ track, vx, vy }: Live, now: number): Box {
  const dt = now - track.lastSeen;
  const [x1, y1, x2, y2] = track.box;
  return [x1 + vx * dt, y1 + vy * dt, x2 + vx * dt, y2 + vy * dt];
}

function lerp(from: number, to: number, weight: number): number {
  return from + (to - from) * weight;
}

function checkOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `tracker: cannot make a tracker as '${name}' must be from ${min} to ${max}: current value is ${value}`,
    );
  }
}
