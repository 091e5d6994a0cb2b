/**
 * What `GET /metrics` serves: at each scrape it reads the fleet's numbers, the process's memory,
 * the event-loop lag monitor and a database ping, and renders them in the Prometheus text format.
 * Why our own writer: docs/decisions/own-prometheus-writer.md.
 *
 * @module
 */
import type { Database } from "../../models/store/database.ts";
import { renderExposition } from "../../models/metrics/exposition.ts";
import { type MqttMetrics, vigilFamilies } from "../../models/metrics/vigil_metrics.ts";
import type { Fleet } from "../camera/fleet.ts";
import type { LagMonitor } from "./lag_monitor.ts";

/** How long a scrape waits for the database ping. */
export const DB_PING_TIMEOUT_MS = 2000;

/** Renders the metrics. */
export interface Metrics {
  /** The exposition text of this moment. */
  render(): Promise<string>;
}

/**
 * Makes the metrics source of a running system.
 *
 * @param deps the fleet, the database and the lag monitor
 * @returns the source
 * @example
 * ```ts
 * const metrics = createMetrics({ fleet, db, lag: startLagMonitor() });
 * const text = await metrics.render(); // "# HELP vigil_cameras ..."
 * ```
 */
export function createMetrics(deps: {
  fleet: Fleet;
  db: Database;
  lag: LagMonitor;
  /** The MQTT bridge's numbers, when it runs. */
  mqtt?: () => MqttMetrics | undefined;
}): Metrics {
  return {
    async render() {
      const databaseUp = await deps.db.ping(DB_PING_TIMEOUT_MS);
      const families = vigilFamilies({
        cameras: deps.fleet.metrics(),
        rssBytes: Deno.memoryUsage().rss,
        lag: { histogram: deps.lag.histogram(), p99Seconds: deps.lag.p99Seconds() },
        databaseUp,
        mqtt: deps.mqtt?.(),
      });
      return renderExposition(families);
    },
  };
}
