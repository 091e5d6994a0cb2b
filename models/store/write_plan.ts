/**
 * The batch writer's decision, as a pure function of its state and the clock: write a batch,
 * spill memory to disk, or wait. `BatchWriter` carries it out.
 *
 * @module
 */

/** What {@linkcode planStep} looks at. */
export interface WriterState {
  /** Rows in memory. */
  buffered: number;
  /** When the oldest row in memory was pushed. */
  oldestAt: number | undefined;
  /** Rows in the spill file not yet replayed. */
  spilled: number;
  /** Whether the last write failed. */
  down: boolean;
  /** Earliest time of the next write attempt while down. */
  retryAt: number;
  /** Earliest time of the next spill attempt (after a failed spill). */
  spillRetryAt: number;
}

/** Thresholds {@linkcode planStep} applies. */
export interface WriterLimits {
  batchSize: number;
  maxAgeMs: number;
  maxBufferedRows: number;
  spillAfterMs: number;
}

/** What the writer does next: write a batch, spill memory, or wait until a time (or a push). */
export type Step = { action: "write" } | { action: "spill" } | {
  action: "wait";
  until: number | undefined;
};

/**
 * Decides the writer's next step. Spilled rows are older than buffered ones, so a write replays
 * the spill file first; spilling moves ALL of memory to the end of the file, which keeps that
 * order.
 *
 * @param state the writer's state
 * @param now current time (ms)
 * @param limits thresholds
 * @returns the step
 * @example
 * ```ts
 * planStep({ buffered: 500, oldestAt: 0, spilled: 0, down: false, retryAt: 0, spillRetryAt: 0 },
 *   10, { batchSize: 500, maxAgeMs: 250, maxBufferedRows: 20000, spillAfterMs: 5000 });
 * // { action: "write" }
 * ```
 */
export function planStep(state: WriterState, now: number, limits: WriterLimits): Step {
  const { buffered, oldestAt } = state;
  const canSpill = buffered > 0 && now >= state.spillRetryAt;
  if (canSpill && buffered > limits.maxBufferedRows) return { action: "spill" };
  if (state.down) {
    const spillAt = oldestAt === undefined ? Infinity : oldestAt + limits.spillAfterMs;
    if (canSpill && now >= spillAt) return { action: "spill" };
    if (now >= state.retryAt) return state.spilled + buffered > 0 ? { action: "write" } : idle();
    const spillWake = buffered > 0 ? Math.max(spillAt, state.spillRetryAt) : Infinity;
    return { action: "wait", until: Math.min(state.retryAt, spillWake) };
  }
  if (state.spilled > 0) return { action: "write" };
  if (buffered >= limits.batchSize) return { action: "write" };
  if (oldestAt === undefined) return idle();
  const due = oldestAt + limits.maxAgeMs;
  return now >= due ? { action: "write" } : { action: "wait", until: due };
}

function idle(): Step {
  return { action: "wait", until: undefined };
}
