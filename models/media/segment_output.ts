/**
 * What the recorder's ffmpeg writes on stdout (CSV lines of finished segments, `-progress`
 * reports) and the clock that maps a run's timeline to wall time: every report of time `t` seen
 * at `now` bounds the offset from above, so the least-delayed recent report (smallest `now - t`)
 * is the best estimate, and a sliding window follows a camera clock that drifts.
 *
 * @module
 */

/** One stdout line of the recorder. */
export type RecorderLine =
  | { kind: "segment"; name: string; startS: number; endS: number }
  | { kind: "progress"; outTimeUs: number }
  | { kind: "end" }
  | { kind: "other" };

const SEGMENT = /^([^,"]+),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/;

/**
 * Classifies one stdout line.
 *
 * @param line one line without its newline
 * @returns what it says
 * @example
 * ```ts
 * parseRecorderLine("1764000000000-000001.mp4,10.960000,20.960000");
 * // { kind: "segment", name: "1764000000000-000001.mp4", startS: 10.96, endS: 20.96 }
 * parseRecorderLine("out_time_us=1600078"); // { kind: "progress", outTimeUs: 1600078 }
 * ```
 */
export function parseRecorderLine(line: string): RecorderLine {
  const text = line.trim();
  const segment = SEGMENT.exec(text);
  if (segment) {
    return {
      kind: "segment",
      name: segment[1]!,
      startS: Number(segment[2]),
      endS: Number(segment[3]),
    };
  }
  if (text.startsWith("out_time_us=")) {
    const us = Number(text.slice("out_time_us=".length));
    return Number.isFinite(us) && us >= 0 ? { kind: "progress", outTimeUs: us } : { kind: "other" };
  }
  if (text === "progress=end") return { kind: "end" };
  return { kind: "other" };
}

/** Samples the clock keeps by default (progress comes every second: about half a minute). */
export const CLOCK_WINDOW = 30;

/**
 * Maps a run's timeline (seconds from its first packet) to wall time (ms since the epoch).
 *
 * @example
 * ```ts
 * const clock = new RunClock();
 * clock.observe(4.96, 1_764_000_005_268);
 * clock.wall(4.96); // 1_764_000_005_268
 * ```
 */
export class RunClock {
  #samples: number[] = [];
  #window: number;

  /** @param window how many recent samples the estimate uses */
  constructor(window = CLOCK_WINDOW) {
    this.#window = window;
  }

  /**
   * Records that the packet at `timeS` had arrived by `nowMs`.
   *
   * @param timeS a time of the run's timeline (s)
   * @param nowMs the wall time it was reported at (ms)
   */
  observe(timeS: number, nowMs: number): void {
    if (!Number.isFinite(timeS) || timeS < 0) return;
    this.#samples.push(nowMs - timeS * 1000);
    if (this.#samples.length > this.#window) this.#samples.shift();
  }

  /** The wall time of the run's time 0, or null before the first sample. */
  get offsetMs(): number | null {
    return this.#samples.length === 0 ? null : Math.min(...this.#samples);
  }

  /**
   * The wall time of a time of the run.
   *
   * @param timeS seconds of the run's timeline
   * @returns ms since the epoch, or null before the first sample
   */
  wall(timeS: number): number | null {
    const offset = this.offsetMs;
    return offset === null ? null : Math.round(offset + timeS * 1000);
  }
}

/**
 * Where a finished segment sits in wall time. Segments of one run are contiguous by construction,
 * so a start within `snapMs` after the previous segment's end — or before it: segments of a run
 * never overlap — is snapped to it (the clock's estimate wobbles by a few ms); a later start is a
 * real hole in the stream and is kept. The end is the start plus the measured duration.
 *
 * @param estimatedStartMs the clock's wall time of the segment's start
 * @param durationMs the duration ffprobe measured
 * @param previousEndMs the end of the run's previous segment, if any
 * @param snapMs the largest correction applied by snapping
 * @returns start and end, ms since the epoch
 * @example
 * ```ts
 * placeSegment(10_004, 10_000, 10_000); // { startMs: 10_000, endMs: 20_000 }
 * ```
 */
export function placeSegment(
  estimatedStartMs: number,
  durationMs: number,
  previousEndMs: number | undefined,
  snapMs = 250,
): { startMs: number; endMs: number } {
  const snapped = previousEndMs !== undefined && estimatedStartMs <= previousEndMs + snapMs;
  const startMs = snapped ? previousEndMs : estimatedStartMs;
  return { startMs, endMs: startMs + Math.max(0, Math.round(durationMs)) };
}
