/// <reference lib="dom" />
/**
 * One camera in the grid: its name (a link to its page), state badges, a refreshed snapshot
 * while it is live, frame rate and last error.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { Camera } from "../lib/types.ts";
import { cameraBadges } from "./badge.ts";
import { snapshotView } from "./snapshot.ts";

/** How often a live thumbnail is refreshed. */
export const THUMBNAIL_REFRESH_MS = 5000;

/** A card. */
export interface CameraCard {
  root: HTMLElement;
  update(camera: Camera): void;
  dispose(): void;
}

/**
 * @param api the client
 * @param camera the camera as listed
 * @returns the card
 */
export function cameraCard(api: Api, camera: Camera): CameraCard {
  const picture = snapshotView(
    api,
    `/api/cameras/${camera.id}/snapshot.jpg`,
    `Latest picture of ${camera.name}`,
    THUMBNAIL_REFRESH_MS,
  );
  const title = el("a", { href: `#/cameras/${camera.id}` });
  const badges = el("span");
  const facts = el("p", { class: "facts" });
  const error = el("p", { class: "error-text" });
  const root = el(
    "article",
    { class: "card camera", "data-camera": camera.id },
    picture.root,
    el("h2", {}, title),
    badges,
    facts,
    error,
  );
  const update = (next: Camera) => {
    title.textContent = next.name;
    root.dataset.stream = next.state.stream;
    replace(badges, cameraBadges(next.state));
    const size = next.state.info?.width ? `${next.state.info.width}×${next.state.info.height}` : "";
    const fps = next.state.fps === null ? "" : `${next.state.fps.toFixed(1)} fps`;
    facts.textContent = [fps, size, next.state.info?.codec ?? ""].filter(Boolean).join(" · ") ||
      "not capturing";
    error.textContent = next.state.lastError ?? "";
    error.hidden = !next.state.lastError;
    // A snapshot of a camera that is not capturing costs a connection to it: only while live.
    if (next.state.stream === "live") picture.start();
    else picture.stop();
  };
  update(camera);
  return { root, update, dispose: () => picture.dispose() };
}
