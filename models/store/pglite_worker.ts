/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) served on the Postgres wire protocol
 * by pglite-socket on 127.0.0.1, inside a Worker. PGlite is single-threaded, so keeping it off the
 * main thread keeps the event loop free for cameras and HTTP; serving the wire protocol means
 * postgres.js is the one driver for both embedded and real PostgreSQL.
 *
 * Protocol: the parent posts `{type:"open", dataDir, maxConnections}`; the worker answers
 * `{type:"ready", port}` or `{type:"error", message}`. `{type:"close"}` stops the server, closes
 * PGlite (flushing it to disk) and answers `{type:"closed"}`.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** Messages the parent sends. */
export type PgliteWorkerRequest =
  | { type: "open"; dataDir: string; maxConnections: number }
  | { type: "close" };

/** Messages the worker answers with. */
export type PgliteWorkerReply =
  | { type: "ready"; port: number }
  | { type: "error"; message: string }
  | { type: "closed" };

declare const self: Worker & { close(): void };

let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;

function reply(message: PgliteWorkerReply): void {
  self.postMessage(message);
}

async function open(dataDir: string, maxConnections: number): Promise<void> {
  db = await PGlite.create(dataDir);
  server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections });
  await server.start();
  const port = Number(server.getServerConn().split(":").at(-1));
  reply({ type: "ready", port });
}

async function close(): Promise<void> {
  await server?.stop();
  await db?.close();
  reply({ type: "closed" });
}

self.onmessage = (event: MessageEvent<PgliteWorkerRequest>) => {
  const request = event.data;
  const work = request.type === "open" ? open(request.dataDir, request.maxConnections) : close();
  work.catch((error: unknown) => {
    reply({ type: "error", message: error instanceof Error ? error.message : String(error) });
  });
};
