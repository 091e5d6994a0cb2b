/// <reference lib="dom" />
/**
 * A picture from the API: fetched with the bearer header (an `<img src>` cannot send one, and
 * the token never goes in a URL), shown from a `blob:` URL, optionally refreshed. The frame keeps
 * its aspect ratio before the first picture arrives, so nothing jumps when it does.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import { errorText } from "../lib/api.ts";

/** A refreshed picture. */
export interface Snapshot {
  root: HTMLElement;
  /** The `<img>` (the zone editor draws over it). */
  img: HTMLImageElement;
  /** Fetches now (and keeps refreshing when a period was given). */
  start(): void;
  /** Stops refreshing. */
  stop(): void;
  /** Stops and frees the picture. */
  dispose(): void;
  /** Resolves once a picture is shown. */
  loaded(): Promise<void>;
}

/**
 * @param api the client
 * @param path e.g. `/api/cameras/<id>/snapshot.jpg`
 * @param alt text alternative
 * @param refreshMs period of refresh; 0 = once
 * @returns the picture
 */
export function snapshotView(api: Api, path: string, alt: string, refreshMs = 0): Snapshot {
  const img = el("img", { alt, decoding: "async" });
  img.hidden = true;
  const note = el("span", { class: "frame-note" }, "No picture yet");
  const root = el("div", { class: "frame" }, img, note);
  let url: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let inFlight: AbortController | undefined;
  let shown = Promise.withResolvers<void>();
  const fetchOnce = async () => {
    if (document.hidden) return;
    inFlight = new AbortController();
    try {
      const blob = await api.blob(path, inFlight.signal);
      const next = URL.createObjectURL(blob);
      await new Promise<void>((resolve) => {
        img.addEventListener("load", () => resolve(), { once: true });
        img.addEventListener("error", () => resolve(), { once: true });
        img.src = next;
      });
      if (url) URL.revokeObjectURL(url);
      url = next;
      img.hidden = false;
      note.hidden = true;
      shown.resolve();
    } catch (error) {
      if (inFlight?.signal.aborted) return;
      if (!url) {
        note.textContent = `No picture: ${errorText(error)}`;
        note.hidden = false;
      }
    }
  };
  const loop = async () => {
    await fetchOnce();
    if (running && refreshMs > 0) timer = setTimeout(loop, refreshMs);
  };
  return {
    root,
    img,
    start() {
      if (running) return;
      running = true;
      loop();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      inFlight?.abort();
    },
    dispose() {
      this.stop();
      if (url) URL.revokeObjectURL(url);
      url = undefined;
      shown = Promise.withResolvers<void>();
    },
    loaded: () => shown.promise,
  };
}
