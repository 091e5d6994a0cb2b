/**
 * The "latest frame wins" queue in front of the inference Worker: one slot per camera holding only
 * its newest request, served round-robin so one busy camera cannot starve the others.
 *
 * @module
 */

/**
 * Per-key single-item slots with round-robin take.
 *
 * @example
 * ```ts
 * const slots = new LatestFrameSlots<string>();
 * slots.put("a", "a1");
 * slots.put("a", "a2"); // returns "a1": replaced
 * slots.put("b", "b1");
 * slots.take(); // ["a", "a2"]
 * slots.take(); // ["b", "b1"]
 * ```
 */
export class LatestFrameSlots<T> {
  readonly #items = new Map<string, T>();
  /** Keys in round-robin order (first-seen order); kept while empty so the order stays fair. */
  readonly #order: string[] = [];
  /** Index in #order to try first; may equal #order.length so a key added next goes first. */
  #cursor = 0;

  /** Number of keys with a waiting item. */
  get size(): number {
    return this.#items.size;
  }

  /**
   * Whether a key has an item waiting.
   *
   * @param key camera id
   * @returns true when an item waits
   */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /**
   * Stores the newest item for a key.
   *
   * @param key camera id
   * @param item the request
   * @returns the item it replaced, if one was waiting
   */
  put(key: string, item: T): T | undefined {
    const replaced = this.#items.get(key);
    if (!this.#order.includes(key)) this.#order.push(key);
    this.#items.set(key, item);
    return replaced;
  }

  /**
   * Takes the waiting item of the next key after the one served last.
   *
   * @returns the key and its item, or `undefined` when nothing waits
   */
  take(): [string, T] | undefined {
    const n = this.#order.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n;
      const key = this.#order[index]!;
      const item = this.#items.get(key);
      if (item === undefined) continue;
      this.#items.delete(key);
      this.#cursor = index + 1;
      return [key, item];
    }
    return undefined;
  }

  /**
   * Forgets a key (camera detached).
   *
   * @param key camera id
   * @returns its waiting item, if any
   */
  delete(key: string): T | undefined {
    const item = this.#items.get(key);
    this.#items.delete(key);
    const index = this.#order.indexOf(key);
    if (index >= 0) {
      this.#order.splice(index, 1);
      if (this.#cursor > index) this.#cursor--;
    }
    return item;
  }

  /**
   * Removes every waiting item.
   *
   * @returns the removed items
   */
  drain(): T[] {
    const items = [...this.#items.values()];
    this.#items.clear();
    return items;
  }
}
