/**
 * Rate limit of failed authentication per client address (IPv4, or IPv6 by its /64): a token
 * bucket each failure empties by one, refilling at a steady rate. An empty bucket blocks every
 * request from the address, valid token or not (checking it would tell a guesser when it hit),
 * until it refills. Shared by the API and the RTSP relay. Why, and behind a proxy: SECURITY.md.
 *
 * @module
 */

/** Options of {@linkcode AuthLimiter}. */
export interface AuthLimiterOptions {
  /** Failed attempts an address may make in a burst (default 10). */
  burst?: number;
  /** One more attempt is allowed every this many ms (default 6000: ten a minute). */
  refillMs?: number;
  /** Addresses tracked at most; beyond, the least recently failing is forgotten (default 10000). */
  maxTracked?: number;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

interface Bucket {
  /** Attempts left, fractional while refilling. */
  left: number;
  /** When `left` was computed. */
  at: number;
}

/**
 * Failed-authentication buckets, one per client address.
 *
 * @example
 * ```ts
 * const limiter = new AuthLimiter();
 * const wait = limiter.blockedFor("10.0.0.9"); // 0: go ahead and check the token
 * if (tokenIsWrong) limiter.fail("10.0.0.9");
 * ```
 */
export class AuthLimiter {
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #maxTracked: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param options burst, refill period, memory bound and clock
   * @throws {RangeError} when an option is not a positive integer
   */
  constructor(options: AuthLimiterOptions = {}) {
    this.#burst = positive(options.burst ?? 10, "burst");
    this.#refillMs = positive(options.refillMs ?? 6000, "refillMs");
    this.#maxTracked = positive(options.maxTracked ?? 10_000, "maxTracked");
    this.#now = options.now ?? Date.now;
  }

  /**
   * How long an address must wait before it may try again.
   *
   * @param address the client's address
   * @returns milliseconds; 0 when it may go ahead
   */
  blockedFor(address: string): number {
    const bucket = this.#current(clientKey(address));
    if (!bucket || bucket.left >= 1) return 0;
    return Math.ceil((1 - bucket.left) * this.#refillMs);
  }

  /**
   * Records a failed attempt.
   *
   * @param address the client's address
   * @returns true when the address is now blocked (its burst is spent)
   */
  fail(address: string): boolean {
    const key = clientKey(address);
    const bucket = this.#current(key) ?? { left: this.#burst, at: this.#now() };
    bucket.left = Math.max(0, bucket.left - 1);
    // Re-inserted so the map's order is "least recently failing first".
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    this.#bound();
    return bucket.left < 1;
  }

  /** Addresses tracked now (for tests). */
  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket refilled to now; a full one is forgotten (the same as never having failed). */
  #current(key: string): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (!bucket) return undefined;
    const now = this.#now();
    bucket.left = Math.min(this.#burst, bucket.left + (now - bucket.at) / this.#refillMs);
    bucket.at = now;
    if (bucket.left >= this.#burst) {
      this.#buckets.delete(key);
      return undefined;
    }
    return bucket;
  }

  #bound(): void {
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= this.#maxTracked) return;
      this.#buckets.delete(key);
    }
  }
}

/**
 * The key an address is limited under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64.
 *
 * @param address a client address as the server reports it
 * @returns the key
 * @example
 * ```ts
 * clientKey("2001:db8:1:2:aaaa::1"); // "2001:db8:1:2::/64"
 * clientKey("::ffff:10.0.0.9"); // "10.0.0.9"
 * ```
 */
export function clientKey(address: string): string {
  const bare = address.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[1]) return mapped[1];
  if (!bare.includes(":")) return bare;
  const [head = "", tail = ""] = bare.split("::");
  const left = head ? head.split(":") : [];
  const right = bare.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [
    ...left,
    ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"),
    ...right,
  ];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot limit as '${name}' must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}
