/**
 * What the console says about the box's Prometheus exposition (`GET /metrics`).
 *
 * @module
 */

/** The size of an exposition. */
export interface ExpositionSummary {
  /** Metric families (one `# TYPE` line each). */
  families: number;
  /** Sample lines. */
  samples: number;
}

/**
 * Counts the families and samples of a text exposition (format 0.0.4).
 *
 * @param text the exposition
 * @returns its counts
 * @example
 * ```ts
 * summarizeExposition("# HELP up Up.\n# TYPE up gauge\nup 1\n"); // { families: 1, samples: 1 }
 * ```
 */
export function summarizeExposition(text: string): ExpositionSummary {
  let families = 0;
  let samples = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) families++;
    else if (line.trim() !== "" && !line.startsWith("#")) samples++;
  }
  return { families, samples };
}
