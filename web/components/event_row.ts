/// <reference lib="dom" />
/**
 * One event in a list: its snapshot (fetched when it scrolls into view), kind, label, zone,
 * camera, times, score; the row links to the event's page.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { VigilEvent } from "../lib/types.ts";
import { duration, shortTime } from "../logic/format.ts";
import { badge } from "./badge.ts";
import { snapshotView } from "./snapshot.ts";

/** A row. */
export interface EventRow {
  root: HTMLElement;
  update(event: VigilEvent): void;
  dispose(): void;
}

const seen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (entry.isIntersecting) {
      entry.target.dispatchEvent(new Event("visible"));
      seen.unobserve(entry.target);
    }
  }
});

/**
 * @param api the client
 * @param event the event
 * @param cameraName the name of its camera, when known
 * @returns the row
 */
export function eventRow(api: Api, event: VigilEvent, cameraName: string | undefined): EventRow {
  const picture = snapshotView(
    api,
    `/api/events/${event.id}/snapshot.jpg`,
    `Snapshot of the ${event.label ?? event.kind}`,
  );
  const pictureSlot = el("div", { class: "thumb" });
  const title = el("a", { href: `#/events/${event.id}` });
  const facts = el("p", { class: "facts" });
  const state = el("span");
  const root = el(
    "li",
    { class: "event", "data-event": event.id },
    pictureSlot,
    el("div", {}, el("h3", {}, title, " ", state), facts),
  );
  let current = event;
  const update = (next: VigilEvent) => {
    current = next;
    title.textContent = [next.label ?? next.kind, next.zone ? `in ${next.zone}` : ""].filter(
      Boolean,
    )
      .join(" ");
    replace(state, badge(next.kind, "info"), !next.endedAt && badge("open", "warn"));
    const length = next.endedAt
      ? duration(Date.parse(next.endedAt) - Date.parse(next.startedAt))
      : "ongoing";
    facts.textContent = [
      cameraName ?? "",
      shortTime(next.startedAt),
      length,
      next.bestScore === null ? "" : `score ${next.bestScore.toFixed(2)}`,
    ].filter(Boolean).join(" · ");
    if (next.hasSnapshot && !pictureSlot.firstChild) replace(pictureSlot, picture.root);
  };
  update(event);
  root.addEventListener("visible", () => {
    if (current.hasSnapshot) picture.start();
  });
  seen.observe(root);
  return {
    root,
    update: (next) => {
      const hadSnapshot = current.hasSnapshot;
      update(next);
      // The best frame may improve while the event is open: show the new one.
      if (next.hasSnapshot) {
        picture.stop();
        if (hadSnapshot || root.isConnected) picture.start();
      }
    },
    dispose: () => {
      seen.unobserve(root);
      picture.dispose();
    },
  };
}
