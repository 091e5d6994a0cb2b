/**
 * An in-process publish/subscribe hub for the live event feed (`GET /api/events/stream`). A slow
 * subscriber cannot hold up the analysis: delivery is a synchronous call, and subscribers (the
 * SSE route) queue with a bound of their own.
 *
 * @module
 */

/** A hub of `T` messages. */
export interface EventBus<T> {
  /** Delivers to every current subscriber; a throwing subscriber does not stop the others. */
  publish(message: T): void;
  /** @returns a function that unsubscribes */
  subscribe(listener: (message: T) => void): () => void;
  /** Current subscribers. */
  readonly size: number;
}

/**
 * Makes a hub.
 *
 * @returns the hub
 * @example
 * ```ts
 * const bus = createEventBus<string>();
 * const off = bus.subscribe((m) => console.log(m));
 * bus.publish("hello");
 * off();
 * ```
 */
export function createEventBus<T>(): EventBus<T> {
  const listeners = new Set<(message: T) => void>();
  return {
    publish(message) {
      for (const listener of listeners) {
        try {
          listener(message);
        } catch {
          // One broken subscriber must not starve the rest.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return listeners.size;
    },
  };
}
