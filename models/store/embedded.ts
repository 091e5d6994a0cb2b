/**
 * Starts and stops the embedded PGlite database Worker (see `pglite_worker.ts`).
 *
 * @module
 */
import type { PgliteWorkerReply, PgliteWorkerRequest } from "./pglite_worker.ts";
import { UnavailableError } from "../errors.ts";

/** A running embedded database reachable on `127.0.0.1:port`. */
export interface EmbeddedDatabase {
  /** TCP port of the Postgres wire protocol on 127.0.0.1. */
  readonly port: number;
  /** Stops the socket server and closes PGlite, flushing it to disk. */
  stop(): Promise<void>;
}

const OPEN_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) the PGlite database in `dataDir` inside a Worker.
 *
 * @param dataDir directory holding the database files
 * @param maxConnections connections the socket server accepts; must be ≥ the postgres.js pool size
 * @returns the running database
 * @throws {UnavailableError} when PGlite cannot open the directory
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  maxConnections: number,
): Promise<EmbeddedDatabase> {
  const worker = new Worker(new URL("./pglite_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const send = (message: PgliteWorkerRequest) => worker.postMessage(message);
  const next = (timeoutMs: number) =>
    new Promise<PgliteWorkerReply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("no answer from the database worker")),
        timeoutMs,
      );
      worker.onmessage = (event: MessageEvent<PgliteWorkerReply>) => {
        clearTimeout(timer);
        resolve(event.data);
      };
      worker.onerror = (event) => {
        clearTimeout(timer);
        event.preventDefault();
        reject(new Error(event.message));
      };
    });

  send({ type: "open", dataDir, maxConnections });
  let opened: PgliteWorkerReply;
  try {
    opened = await next(OPEN_TIMEOUT_MS);
  } catch (error) {
    worker.terminate();
    throw new UnavailableError(`database: cannot start the embedded database: ${error}`);
  }
  if (opened.type !== "ready") {
    worker.terminate();
    const message = opened.type === "error" ? opened.message : opened.type;
    throw new UnavailableError(
      `database: cannot open the embedded database in ${dataDir}: ${message}`,
    );
  }

  let stopped: Promise<void> | undefined;
  return {
    port: opened.port,
    stop() {
      stopped ??= (async () => {
        send({ type: "close" });
        try {
          await next(CLOSE_TIMEOUT_MS);
        } finally {
          worker.terminate();
        }
      })();
      return stopped;
    },
  };
}
