/// <reference lib="dom" />
/**
 * Repeats a request while the page is shown: at once, then every `periodMs` after the previous
 * one finished (never two at a time), paused while the tab is hidden.
 *
 * @module
 */

/**
 * @param periodMs pause between runs
 * @param run the request (its errors are the caller's to show)
 * @returns a function that stops it
 */
export function poll(periodMs: number, run: () => Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) await run().catch(() => {});
    if (!stopped) timer = setTimeout(tick, periodMs);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
