/**
 * The bounded queue between the event feed and the MQTT connection: a broker that is down or slow
 * must cost the analysis nothing, so messages wait here up to a bound and beyond it the oldest
 * are dropped and counted (`vigil_mqtt_messages_dropped_total`), never blocking a publisher.
 *
 * @module
 */

/** A FIFO of at most `capacity` items that drops its oldest when full. */
export class Outbox<T> {
  #items: T[] = [];
  #dropped = 0;

  /**
   * @param capacity items kept at most
   * @throws {RangeError} unless a positive integer
   */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot make an outbox as 'capacity' must be a positive integer: current value is ${capacity}`,
      );
    }
  }

  /** Adds an item; when full, the oldest is dropped and counted. */
  push(item: T): void {
    if (this.#items.length >= this.capacity) {
      this.#items.shift();
      this.#dropped++;
    }
    this.#items.push(item);
  }

  /** @returns the oldest item, removed, or undefined when empty */
  shift(): T | undefined {
    return this.#items.shift();
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length;
  }

  /** Items dropped since the start. */
  get dropped(): number {
    return this.#dropped;
  }
}
