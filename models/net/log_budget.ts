/**
 * A per-address budget of log lines: a route anyone on the LAN can call (a refused box-to-box
 * fetch) logs the first few refusals of each address per window and one line saying the rest are
 * left out, so an unauthenticated client cannot turn every request into a line in the journal.
 *
 * @module
 */

/** What to do with one event from an address. */
export type LogVerdict = "log" | "log-last" | "skip";

/**
 * Counts events per address in fixed windows.
 *
 * @example
 * ```ts
 * const budget = new LogBudget(3, 60_000);
 * ["1.2.3.4", "1.2.3.4", "1.2.3.4", "1.2.3.4"].map((a) => budget.take(a, 0));
 * // ["log", "log", "log-last", "skip"]
 * ```
 */
export class LogBudget {
  #windows = new Map<string, { start: number; count: number }>();

  /**
   * @param perWindow lines an address may write per window (the last says the rest are left out)
   * @param windowMs the window, ms
   * @param maxAddresses addresses remembered at once; when full, the oldest windows go first
   */
  constructor(
    readonly perWindow: number,
    readonly windowMs: number,
    readonly maxAddresses = 1024,
  ) {}

  /**
   * Counts one event.
   *
   * @param address who caused it
   * @param now the time, ms
   * @returns `log`, `log-last` (log, and say further lines are left out) or `skip`
   */
  take(address: string, now: number): LogVerdict {
    let w = this.#windows.get(address);
    if (!w || now - w.start >= this.windowMs) {
      this.#windows.delete(address);
      if (this.#windows.size >= this.maxAddresses) {
        // Insertion order is window start order: drop the oldest.
        this.#windows.delete(this.#windows.keys().next().value!);
      }
      w = { start: now, count: 0 };
      this.#windows.set(address, w);
    }
    w.count++;
    if (w.count < this.perWindow) return "log";
    return w.count === this.perWindow ? "log-last" : "skip";
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#windows.size;
  }
}
