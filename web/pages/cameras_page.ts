/// <reference lib="dom" />
/**
 * The cameras grid: every camera with its state, refreshed every few seconds; admins can add one.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import type { Camera, CameraPage } from "../lib/types.ts";
import { poll } from "../lib/poll.ts";
import { statusLine } from "../components/status.ts";
import { type CameraCard, cameraCard } from "../components/camera_card.ts";
import { addCameraForm } from "../components/add_camera_form.ts";

/** How often states are refreshed. */
export const CAMERAS_REFRESH_MS = 2000;

/** Every camera, following the `next` cursors. */
export async function allCameras(ctx: PageContext): Promise<Camera[]> {
  const cameras: Camera[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: CameraPage = await ctx.api.get(`/api/cameras?limit=500${query}`);
    cameras.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return cameras;
}

/**
 * @param ctx the page context
 * @returns the view
 */
export function camerasPage(ctx: PageContext): View {
  const status = statusLine();
  const grid = el("div", { class: "grid", "aria-label": "Cameras" });
  const empty = el(
    "p",
    { class: "empty" },
    ctx.canWrite
      ? "No cameras yet. Add one by its RTSP URL or ONVIF address, or scan on the Discovery page."
      : "No cameras yet.",
  );
  empty.hidden = true;
  const cards = new Map<string, CameraCard>();
  let first = true;
  const refresh = async () => {
    if (first) status.loading("Loading cameras…");
    try {
      const cameras = await allCameras(ctx);
      const seen = new Set<string>();
      for (const camera of cameras) {
        seen.add(camera.id);
        const card = cards.get(camera.id);
        if (card) card.update(camera);
        else cards.set(camera.id, cameraCard(ctx.api, camera));
      }
      for (const [id, card] of cards) {
        if (!seen.has(id)) {
          card.dispose();
          cards.delete(id);
        }
      }
      // Re-inserting the same cards would take the keyboard focus away every refresh.
      const order = cameras.map((c) => cards.get(c.id)!.root);
      const same = order.length === grid.children.length &&
        order.every((node, i) => grid.children[i] === node);
      if (!same) replace(grid, ...order);
      empty.hidden = cameras.length > 0;
      status.done();
    } catch (error) {
      status.error(error);
    }
    first = false;
  };
  const stop = poll(CAMERAS_REFRESH_MS, refresh);
  const root = el(
    "section",
    { class: "page" },
    el("h1", {}, "Cameras"),
    ctx.canWrite && addCameraForm(ctx.api, () => refresh()),
    status.root,
    empty,
    grid,
  );
  return {
    title: "Cameras",
    root,
    dispose() {
      stop();
      for (const card of cards.values()) card.dispose();
    },
  };
}
