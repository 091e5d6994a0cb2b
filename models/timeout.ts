/**
 * The one time limit on a promise: it settles as the promise does, or rejects once `ms` have
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
