/// <reference lib="dom" />
/**
 * The boxes sharing this database (`GET /api/boxes`): each one's state, address, cameras and
 * last heartbeat; a box alone lists itself.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import { poll } from "../lib/poll.ts";
import { badge } from "./badge.ts";
import { statusLine } from "./status.ts";
import { shortTime } from "../logic/format.ts";
import type { Box } from "../lib/types.ts";

/**
 * @param api the client
 * @returns the panel and its dispose
 */
export function boxesPanel(api: Api): { root: HTMLElement; dispose(): void } {
  const status = statusLine();
  const body = el("tbody", {});
  const table = el(
    "table",
    { class: "table" },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ...["Box", "State", "Address", "Cameras", "Capacity", "Heartbeat"].map((h) =>
          el("th", {}, h)
        ),
      ),
    ),
    body,
  );
  const stop = poll(5000, async () => {
    let boxes: Box[];
    try {
      boxes = (await api.get<{ items: Box[] }>("/api/boxes")).items;
    } catch (error) {
      return status.error(error);
    }
    replace(
      body,
      ...boxes.map((box) =>
        el(
          "tr",
          {},
          el("td", {}, `${box.id.slice(-12)}${box.self ? " (this box)" : ""}`),
          el("td", {}, badge(box.state, box.state === "up" ? "good" : "bad")),
          el("td", {}, box.baseUrl),
          el("td", {}, String(box.cameras.length)),
          el("td", {}, box.capacity === null ? "—" : String(box.capacity)),
          el("td", {}, box.heartbeatAt ? shortTime(box.heartbeatAt) : "—"),
        )
      ),
    );
    status.done();
  });
  return { root: el("div", {}, status.root, table), dispose: stop };
}
