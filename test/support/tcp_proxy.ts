/**
 * A TCP proxy on 127.0.0.1 in front of a database (on TCP, or on a Unix socket like the embedded
 * one), whose link a test can cut (connections
 * dropped, new ones refused, as when the server is down), hang (connections stay open but no
 * byte passes, as with a server that stopped answering or a network that blackholes), restore or
 * retarget.
 *
 * @module
 */

/** See the module documentation. */
export class TcpProxy {
  /** The port clients connect to. */
  readonly port: number;
  #listener: Deno.TcpListener | undefined;
  /** A port on 127.0.0.1, or the path of a Unix socket. */
  #target: number | string;
  #conns = new Set<Deno.Conn>();
  #loops: Promise<void>[] = [];
  /** Resolved while bytes flow; pending while hung. */
  #flowing: Promise<void> = Promise.resolve();
  #resume: (() => void) | undefined;

  /** @param target the server's port on 127.0.0.1, or its Unix socket path */
  constructor(target: number | string) {
    this.#target = target;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = listener.addr.port;
    this.#serve(listener);
  }

  #serve(listener: Deno.TcpListener): void {
    this.#listener = listener;
    this.#loops.push((async () => {
      try {
        for await (const client of listener) this.#pipe(client);
      } catch {
        // The listener was closed.
      }
    })());
  }

  async #pipe(client: Deno.Conn): Promise<void> {
    this.#conns.add(client);
    let server: Deno.Conn;
    try {
      server = typeof this.#target === "string"
        ? await Deno.connect({ transport: "unix", path: this.#target })
        : await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
    } catch {
      closeQuietly(client);
      return;
    }
    this.#conns.add(server);
    await Promise.allSettled([this.#pump(client, server), this.#pump(server, client)]);
    for (const conn of [client, server]) {
      closeQuietly(conn);
      this.#conns.delete(conn);
    }
  }

  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        await this.#flowing;
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
    } finally {
      // One direction ending ends the other: close both so the peer loop stops too.
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.#listener?.close();
    this.#listener = undefined;
    for (const conn of this.#conns) closeQuietly(conn);
    this.#conns.clear();
  }

  /** Keeps every connection open (and accepts new ones) but passes no byte until `unhang()`. */
  hang(): void {
    if (this.#resume) return;
    this.#flowing = new Promise((resolve) => this.#resume = resolve);
  }

  /** Lets bytes held by `hang()` through again. */
  unhang(): void {
    this.#resume?.();
    this.#resume = undefined;
    this.#flowing = Promise.resolve();
  }

  /** Accepts connections again on the same port, optionally to a new target. */
  restore(target?: number | string): void {
    if (target !== undefined) this.#target = target;
    if (!this.#listener) this.#serve(Deno.listen({ hostname: "127.0.0.1", port: this.port }));
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    this.cut();
    this.unhang();
    await Promise.all(this.#loops);
  }
}

/**
 * Closes a connection that may already be closed.
 *
 * @param conn the connection
 */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
