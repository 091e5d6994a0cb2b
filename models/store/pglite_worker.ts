/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) served on the Postgres wire protocol
 * by pglite-socket inside a Worker. PGlite is single-threaded, so keeping it off the main thread
 * keeps the event loop free for cameras and HTTP; serving the wire protocol means postgres.js is
 * the one driver for both embedded and real PostgreSQL.
 *
 * It listens on a Unix socket, never on TCP: PGlite accepts any user and any password, so the
 * only access control is the file system — the socket lives in a 0700 directory and is itself
 * 0600, which keeps every other local user out (see `embedded.ts`).
 *
 * Protocol: the parent posts `{type:"open", dataDir, socketPath, maxConnections}`; the worker
 * answers `{type:"ready"}` or `{type:"error", message}`. `{type:"close"}` stops the server (which
 * removes the socket file), closes PGlite (flushing it to disk) and answers `{type:"closed"}`.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** Messages the parent sends. */
export type PgliteWorkerRequest =
  | { type: "open"; dataDir: string; socketPath: string; maxConnections: number }
  | { type: "close" };

/** Messages the worker answers with. */
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
