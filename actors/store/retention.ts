/**
 * Retention on a schedule: {@linkcode applyRetention} now and every hour while the server runs.
 *
 * @module
 */
import type postgres from "postgres";
import { applyRetention, type RetentionOptions } from "../../models/store/retention.ts";
import { createLogger } from "../../models/log.ts";

/**
 * Runs {@linkcode applyRetention} now and then every `intervalMs` (default one hour) until
 * stopped; failures are logged and retried at the next tick (the database may be down).
 *
 * @param sql the database
 * @param options retention settings and the interval
 * @returns `stop()`, which waits for a run in progress
 */
export function startRetention(
  sql: postgres.Sql,
  options: Omit<RetentionOptions, "now"> & { intervalMs?: number } = {},
): { stop(): Promise<void> } {
  const log = createLogger("retention");
  const { intervalMs = 3_600_000, ...settings } = options;
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= applyRetention(sql, settings)
      .then((result) => {
        if (
          result.partitionsDropped.length || result.eventsDeleted || result.detectionsDeleted ||
          result.snapshotsRemoved
        ) {
          log.info("retention applied", { ...result });
        }
      })
      .catch((error) => log.warn("retention failed; retrying at the next tick", { error }))
      .finally(() => running = undefined);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
