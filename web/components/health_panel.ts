/// <reference lib="dom" />
/**
 * The box's health (`GET /api/health`): status, database, uptime, cameras, writer backlog.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import { ApiError } from "../lib/api.ts";
import { duration } from "../logic/format.ts";
import { poll } from "../lib/poll.ts";
import { badge } from "./badge.ts";
import { statusLine } from "./status.ts";
import type { Health } from "../lib/types.ts";

/** The reply, with any field a newer box adds (shown as it comes). */
type HealthReply = Health & { [more: string]: unknown };

const KNOWN = new Set<string>(
  ["status", "db", "database", "uptimeS", "cameras", "live", "backlog"] satisfies (keyof Health)[],
);

/**
 * @param api the client
 * @returns the panel and its dispose
 */
export function healthPanel(api: Api): { root: HTMLElement; dispose(): void } {
  const status = statusLine();
  const body = el("dl", { class: "facts-list" });
  const stop = poll(5000, async () => {
    let health: HealthReply;
    try {
      health = await api.get<HealthReply>("/api/health");
    } catch (error) {
      // 503 still carries the body; anything else is an error to show.
      if (!(error instanceof ApiError && error.status === 503)) return status.error(error);
      health = { status: "degraded", db: "down" } as HealthReply;
    }
    const rows: [string, Node | string][] = [
      ["Status", badge(health.status, health.status === "ok" ? "good" : "bad")],
      ["Database", `${health.database ?? "?"} (${health.db})`],
      ["Up for", duration((health.uptimeS ?? 0) * 1000)],
      ["Cameras", `${health.live ?? 0} live of ${health.cameras ?? 0}`],
      ["Rows waiting to be written", String(health.backlog ?? 0)],
      ...Object.entries(health).filter(([k]) => !KNOWN.has(k)).map((
        [k, v],
      ): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ];
    replace(body, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    status.done();
  });
  return { root: el("div", {}, status.root, body), dispose: stop };
}
