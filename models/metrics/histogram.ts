/**
 * A cumulative histogram with fixed bucket bounds, as Prometheus exposes them: cheap to observe
 * (one pass over a dozen bounds), constant memory, and a snapshot for the exposition writer.
 *
 * @module
 */

/** A point-in-time copy of a histogram. */
export interface HistogramSnapshot {
  /** Upper bounds, ascending (without +Inf). */
  bounds: readonly number[];
  /** Cumulative counts per bound (observations ≤ bound), same length as `bounds`. */
  buckets: number[];
  /** Sum of all observations. */
  sum: number;
  /** Number of observations (the +Inf bucket). */
  count: number;
}

/**
 * Counts observations into buckets.
 *
 * @example
 * ```ts
 * const h = new Histogram([0.01, 0.05, 0.1]);
 * h.observe(0.03);
 * h.snapshot(); // { bounds: [0.01, 0.05, 0.1], buckets: [0, 1, 1], sum: 0.03, count: 1 }
 * ```
 */
export class Histogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  /**
   * @param bounds upper bounds, strictly ascending and finite
   * @throws {RangeError} for empty, unsorted or non-finite bounds
   */
  constructor(bounds: readonly number[]) {
    if (bounds.length === 0) throw new RangeError("histogram: needs at least one bucket bound");
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i]!;
      if (!Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!)) {
        throw new RangeError(
          `histogram: bounds must be finite and strictly ascending: current value is ${
            bounds.join(",")
          }`,
        );
      }
    }
    this.#bounds = [...bounds];
    this.#counts = new Array(bounds.length).fill(0);
  }

  /**
   * Records one observation (NaN is ignored: it would poison the sum forever).
   *
   * @param value the observed value
   */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    this.#sum += value;
    this.#count++;
    for (let i = 0; i < this.#bounds.length; i++) {
      if (value <= this.#bounds[i]!) {
        this.#counts[i]!++;
        return;
      }
    }
  }

  /**
   * A cumulative copy.
   *
   * @returns bounds, cumulative bucket counts, sum and count
   */
  snapshot(): HistogramSnapshot {
    let running = 0;
    const buckets = this.#counts.map((c) => running += c);
    return { bounds: this.#bounds, buckets, sum: this.#sum, count: this.#count };
  }
}
