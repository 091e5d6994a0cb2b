/**
 * Starts and stops the embedded PGlite database Worker (see `pglite_worker.ts`).
 *
 * PGlite accepts any user name and password, so whoever reaches its socket owns the database —
 * tokens, camera credentials, everything. It is therefore served on a Unix socket inside a
 * directory only Vigil's user can enter (0700), never on TCP where every local user could connect.
 * Why: docs/decisions/embedded-database.md.
 *
 * @module
 */
import { join } from "node:path";
import type { PgliteWorkerReply, PgliteWorkerRequest } from "./pglite_worker.ts";
import { UnavailableError } from "../errors.ts";
import { withTimeout } from "../timeout.ts";

/** A running embedded database reachable on a Unix socket. */
export interface EmbeddedDatabase {
  /** The Unix socket of the Postgres wire protocol (postgres.js `path`). */
  readonly socketPath: string;
  /** Stops the socket server and closes PGlite, flushing it to disk. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startEmbeddedDatabase}. */
export interface EmbeddedOptions {
  /** Directory holding the database files. */
  dataDir: string;
  /**
   * Directory for the socket, made (or tightened to) 0700. When its path is too long for a Unix
   * socket (108 bytes on Linux), a private temp dir is used instead and removed on stop.
   */
  socketDir: string;
  /** Connections the socket server accepts; must be ≥ the postgres.js pool size. */
  maxConnections: number;
}

/** The socket name PostgreSQL clients derive from a directory and port 5432. */
export const SOCKET_NAME = ".s.PGSQL.5432";
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/**
 * A first start runs initdb in WASM (~3 s here, idle); a small or busy box can take many times
 * that (over 60 s was seen at load average 20 on 2 cores), and giving up only turns a slow start
 * into a failed one. The limit is there for a worker that never answers.
 */
const OPEN_TIMEOUT_MS = 180_000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) the PGlite database inside a Worker, served on a Unix socket that
 * only the current user can reach.
 *
 * @param options where the database and its socket live
 * @returns the running database
 * @throws {UnavailableError} when PGlite cannot open the directory, the socket directory belongs
 * to another user, or another process already serves this socket
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dir: socketDir, temporary } = await privateSocketDir(options.socketDir);
  const socketPath = join(socketDir, SOCKET_NAME);
  const removeTemporary = async () => {
    if (temporary) await Deno.remove(socketDir, { recursive: true }).catch(() => {});
  };
  try {
    await removeStaleSocket(socketPath);
  } catch (error) {
    await removeTemporary();
    throw error;
  }

  const worker = new Worker(new URL("./pglite_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const send = (message: PgliteWorkerRequest) => worker.postMessage(message);
  const next = (timeoutMs: number) =>
    withTimeout(
      new Promise<PgliteWorkerReply>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<PgliteWorkerReply>) => resolve(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(event.message));
        };
      }),
      timeoutMs,
      () => new Error("no answer from the database worker"),
    );

  send({
    type: "open",
    dataDir: options.dataDir,
    socketPath,
    maxConnections: options.maxConnections,
  });
  let opened: PgliteWorkerReply;
  try {
    opened = await next(OPEN_TIMEOUT_MS);
  } catch (error) {
    worker.terminate();
    await removeTemporary();
    throw new UnavailableError(`database: cannot start the embedded database: ${error}`);
  }
  if (opened.type !== "ready") {
    worker.terminate();
    await removeTemporary();
    const message = opened.type === "error" ? opened.message : opened.type;
    throw new UnavailableError(
      `database: cannot open the embedded database in ${options.dataDir}: ${message}`,
    );
  }

  let stopped: Promise<void> | undefined;
  return {
    socketPath,
    stop() {
      stopped ??= (async () => {
        send({ type: "close" });
        try {
          await next(CLOSE_TIMEOUT_MS);
        } finally {
          worker.terminate();
          await removeTemporary();
        }
      })();
      return stopped;
    },
  };
}

/**
 * Makes the socket directory private: created 0700, or an existing one of ours tightened to
 * 0700. One owned by someone else is refused: its owner could swap the socket for their own.
 */
async function privateSocketDir(wanted: string): Promise<{ dir: string; temporary: boolean }> {
  if (new TextEncoder().encode(join(wanted, SOCKET_NAME)).length > MAX_SOCKET_PATH_BYTES) {
    return { dir: await Deno.makeTempDir({ prefix: "vigil-db-" }), temporary: true };
  }
  await Deno.mkdir(wanted, { recursive: true, mode: 0o700 });
  const info = await Deno.lstat(wanted);
  if (!info.isDirectory) {
    throw new UnavailableError(`database: ${wanted} must be a directory`);
  }
  if (info.uid !== Deno.uid()) {
    throw new UnavailableError(`database: ${wanted} belongs to another user`);
  }
  await Deno.chmod(wanted, 0o700);
  return { dir: wanted, temporary: false };
}

/**
 * A socket left by a process that died cannot be listened on again. One that still answers means
 * another Vigil serves this database: two PGlite instances on one directory would corrupt it.
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  let live = false;
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    live = true;
  } catch {
    // Nobody listens: a leftover.
  }
  if (live) {
    throw new UnavailableError(`database: another process already serves ${path}`);
  }
  await Deno.remove(path);
}
