/**
 * The one time limit on a promise: it settles as the promise does, or gives up once `ms` have
 * passed — and its timer is cleared either way, so nothing is left pending (Deno's test
 * sanitizers, and a process that should exit, both notice a forgotten timer).
 *
 * @module
 */

/**
 * Races a promise against a time limit.
 *
 * @param promise the work
 * @param ms the limit
 * @param onTimeout called when the limit passes; returns the error to reject with (and may
 *   cancel the work, e.g. a query or a process)
 * @returns the work's result
 * @throws the error `onTimeout` returns, or the work's own error
 * @example
 * ```ts
 * await withTimeout(query, 10_000, () => {
 *   query.cancel();
 *   return new UnavailableError("writer: no answer within 10000 ms");
 * });
 * ```
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for work that may be abandoned: a stop, a drain, a connection attempt. Never rejects.
 *
 * @param work the work; its result and its error are both ignored
 * @param ms the limit (≤ 0: only what has already settled counts)
 * @returns `true` when the work settled (either way) within `ms`, `false` when time ran out
 * @example
 * ```ts
 * if (!(await settlesWithin(server.shutdown(), 2_000))) log.warn("clients still connected");
 * ```
 */
export function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const late = new Error("late");
  return withTimeout(work, ms, () => late).then(() => true, (error) => error !== late);
}
