/**
 * Several Vigil servers on loopback sharing one PostgreSQL, for the cluster tests and the
 * failover benchmark: each box has its own data dir and ports (known before it starts, so its
 * `VIGIL_PUBLIC_URL` can name them), and can be killed, paused and started again.
 *
 * @module
 */
import { freePort } from "./postgres_cluster.ts";
import { type ServerProcess, startServer } from "./server_process.ts";

/** One box of the test cluster. */
export class TestBox {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  readonly base: string;
  #env: Record<string, string>;
  server: ServerProcess | undefined;
  /** Every log line of the runs of this box that ended. */
  readonly #ended: string[] = [];
  /** The box id (from its data dir), once started. */
  id = "";

  constructor(name: string, dataDir: string, env: Record<string, string>) {
    this.name = name;
    this.dataDir = dataDir;
    this.port = freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.#env = env;
  }

  /** Starts (or starts again) the server. */
  async start(): Promise<void> {
    this.server = await startServer({
      ...this.#env,
      VIGIL_DATA_DIR: this.dataDir,
      VIGIL_PORT: String(this.port),
      VIGIL_PUBLIC_URL: this.base,
    });
    this.id = (await Deno.readTextFile(`${this.dataDir}/box-id`)).trim();
  }

  /** Sends a signal to the server's process (SIGSTOP, SIGCONT) without waiting for it. */
  signal(signal: Deno.Signal): void {
    Deno.kill(this.server!.pid, signal);
  }

  /** Stops the server with a signal and waits for its exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await server.stop(signal);
    this.#ended.push(...server.lines, `--- stopped with ${signal}`);
  }

  /** Every log line of every run of this box so far. */
  get lines(): string[] {
    return [...this.#ended, ...(this.server?.lines ?? [])];
  }
}

/** A JSON API client holding the admin token. */
export function apiClient(token: string) {
  return async <T = unknown>(
    base: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T; headers: Headers }> => {
    const reply = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    const text = await reply.text();
    return {
      status: reply.status,
      json: (text ? JSON.parse(text) : null) as T,
      headers: reply.headers,
    };
  };
}

/** `GET /api/boxes` item. */
export interface BoxItem {
  id: string;
  state: "up" | "down";
  cameras: string[];
  baseUrl: string;
}

/** Waits until `check` returns a value (not undefined), polling every `everyMs`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${last})` : ""}`);
}
