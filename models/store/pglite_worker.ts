/**
 * The embedded database Worker: PGlite (PostgreSQL in WASM, single-threaded, so off the main
 * thread) served on the Postgres wire protocol by pglite-socket, so postgres.js is the one driver.
 * It listens on a Unix socket only (0600, in a 0700 directory): PGlite accepts any user and
 * password, so the file system is the access control. Why: docs/decisions/embedded-database.md.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** Messages the parent sends: `open` (answered `ready` or `error`), `close` (answered `closed`). */
export type PgliteWorkerRequest =
  | { type: "open"; dataDir: string; socketPath: string; maxConnections: number }
  | { type: "close" };

/**
 * Messages the worker answers with. `closed` comes once the server has stopped (removing the
 * socket file) and PGlite is closed, flushed to disk.
 */
export type PgliteWorkerReply =
  | { type: "ready" }
  | { type: "error"; message: string }
  | { type: "closed" };

declare const self: Worker & { close(): void };

let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;

function reply(message: PgliteWorkerReply): void {
  self.postMessage(message);
}

async function open(dataDir: string, socketPath: string, maxConnections: number): Promise<void> {
  db = await PGlite.create(dataDir);
  server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
  await server.start();
  // The directory already keeps others out; the mode is a second lock should it ever be loosened.
  await Deno.chmod(socketPath, 0o600);
  reply({ type: "ready" });
}

async function close(): Promise<void> {
  await server?.stop();
  await db?.close();
  reply({ type: "closed" });
}

self.onmessage = (event: MessageEvent<PgliteWorkerRequest>) => {
  const request = event.data;
  const work = request.type === "open"
    ? open(request.dataDir, request.socketPath, request.maxConnections)
    : close();
  work.catch((error: unknown) => {
    reply({ type: "error", message: error instanceof Error ? error.message : String(error) });
  });
};
