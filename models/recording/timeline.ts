/**
 * Pure time arithmetic over recorded segments: the covered intervals and gaps of a range (the
 * timeline), and the plan of a clip (which files, where to cut, where the joined timeline puts
 * each segment). Times are ms since the epoch; clip positions are seconds.
 *
 * @module
 */

/** A time interval, ms since the epoch, `from` inclusive, `to` exclusive. */
export interface Interval {
  from: number;
  to: number;
}

/** A recorded segment, as much of it as planning needs. */
export interface SegmentSpan {
  startMs: number;
  endMs: number;
}

/** Holes up to this long between segments are not gaps (timestamps wobble by a few frames). */
export const GAP_TOLERANCE_MS = 500;

/**
 * The covered intervals and the gaps of `[from, to)`.
 *
 * @param spans segments sorted by start (overlaps allowed)
 * @param range the range asked for
 * @param toleranceMs holes up to this long are bridged
 * @returns intervals clipped to the range, and the holes longer than the tolerance
 * @example
 * ```ts
 * timeline([{ startMs: 0, endMs: 10 }, { startMs: 20, endMs: 30 }], { from: 0, to: 40 }, 5);
 * // { intervals: [{ from: 0, to: 10 }, { from: 20, to: 30 }],
 * //   gaps: [{ from: 10, to: 20 }, { from: 30, to: 40 }] }
 * ```
 */
export function timeline(
  spans: readonly SegmentSpan[],
  range: Interval,
  toleranceMs = GAP_TOLERANCE_MS,
): { intervals: Interval[]; gaps: Interval[] } {
  const intervals: Interval[] = [];
  for (const span of spans) {
    const from = Math.max(span.startMs, range.from);
    const to = Math.min(span.endMs, range.to);
    if (to <= from) continue;
    const last = intervals.at(-1);
    if (last && from - last.to <= toleranceMs) last.to = Math.max(last.to, to);
    else intervals.push({ from, to });
  }
  const gaps: Interval[] = [];
  let cursor = range.from;
  for (const interval of intervals) {
    if (interval.from - cursor > toleranceMs) gaps.push({ from: cursor, to: interval.from });
    cursor = Math.max(cursor, interval.to);
  }
  if (range.to - cursor > toleranceMs) gaps.push({ from: cursor, to: range.to });
  return { intervals, gaps };
}

/** A segment as a clip needs it. */
export interface ClipSegment extends SegmentSpan {
  /** Absolute file. */
  path: string;
  /** Measured duration (the joined timeline advances by exactly this). */
  durationMs: number;
}

/** How to build a clip of a range. */
export interface ClipPlan {
  /** The segments overlapping the range, in order. */
  segments: ClipSegment[];
  /** Files with stream-copy cut points (s inside each file): the plain clip's concat list. */
  cuts: { path: string; inpoint?: number; outpoint?: number }[];
  /** Every overlapping segment whole, with its duration: the annotated clip's concat list. */
  whole: { path: string; duration: number }[];
  /** Where each segment of `whole` starts on the joined timeline (s). */
  offsetsS: number[];
  /** The range's start and length on the joined timeline (the annotated clip's exact cut). */
  startS: number;
  durationS: number;
  /** Parts of the range without recording (the clip skips them). */
  gaps: Interval[];
}

/**
 * Plans the clip of `[from, to)` from the segments overlapping it.
 *
 * @param segments overlapping segments sorted by start
 * @param range the clip's range
 * @returns the plan, or null when no segment overlaps the range
 * @example
 * ```ts
 * planClip([{ path: "/a", startMs: 0, endMs: 10_000, durationMs: 10_000 }], { from: 2000, to: 5000 });
 * // cuts: [{ path: "/a", inpoint: 2, outpoint: 5 }], startS: 2, durationS: 3
 * ```
 */
export function planClip(segments: readonly ClipSegment[], range: Interval): ClipPlan | null {
  const used = segments.filter((s) => s.endMs > range.from && s.startMs < range.to);
  if (used.length === 0) return null;
  const offsetsS: number[] = [];
  let offset = 0;
  for (const s of used) {
    offsetsS.push(offset);
    offset += s.durationMs / 1000;
  }
  const position = (wallMs: number, i: number) => {
    const s = used[i]!;
    const inside = Math.min(Math.max(wallMs - s.startMs, 0), s.durationMs);
    return offsetsS[i]! + inside / 1000;
  };
  const last = used.length - 1;
  const startS = position(range.from, 0);
  const endS = position(range.to, last);
  const cuts = used.map((s, i) => {
    const cut: { path: string; inpoint?: number; outpoint?: number } = { path: s.path };
    if (i === 0 && range.from > s.startMs) cut.inpoint = (range.from - s.startMs) / 1000;
    if (i === last && range.to < s.startMs + s.durationMs) {
      cut.outpoint = (range.to - s.startMs) / 1000;
    }
    return cut;
  });
  return {
    segments: used,
    cuts,
    whole: used.map((s) => ({ path: s.path, duration: s.durationMs / 1000 })),
    offsetsS,
    startS,
    durationS: Math.max(0, endS - startS),
    gaps: timeline(used, range).gaps,
  };
}

/**
 * Where a wall time falls on a clip's joined timeline.
 *
 * @param plan the clip's plan
 * @param wallMs a time, ms since the epoch
 * @returns seconds on the joined timeline, or null when no segment holds that time
 * @example
 * ```ts
 * joinedPosition(plan, detection.ts); // 12.4
 * ```
 */
export function joinedPosition(
  plan: Pick<ClipPlan, "segments" | "offsetsS">,
  wallMs: number,
): number | null {
  for (const [i, s] of plan.segments.entries()) {
    if (wallMs >= s.startMs && wallMs < s.startMs + s.durationMs) {
      return plan.offsetsS[i]! + (wallMs - s.startMs) / 1000;
    }
  }
  return null;
}
