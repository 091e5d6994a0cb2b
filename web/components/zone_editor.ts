/// <reference lib="dom" />
/**
 * Zones, masks and tripwires drawn on the camera's current picture: a toolbar, the surface over
 * the picture, the list of shapes (names, select, delete — everything reachable by keyboard), and
 * Save. Shapes the API would refuse are named before saving.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { AnalyticsStore } from "../lib/analytics_store.ts";
import {
  cancelDrawing,
  deleteShape,
  type EditorState,
  finishDrawing,
  fromSettings,
  MIN_POINTS,
  problems,
  renameShape,
  select,
  type ShapeKind,
  startDrawing,
  toSettings,
} from "../logic/shapes.ts";
import { snapshotView } from "./snapshot.ts";
import { zoneSurface } from "./zone_surface.ts";
import { busy, statusLine } from "./status.ts";

const KIND_TEXT: Record<ShapeKind, string> = { zone: "Zone", mask: "Mask", line: "Line" };

/**
 * @param api the client
 * @param camera camera id
 * @param store the camera's analytics settings
 * @param canWrite whether the role may save
 * @returns the editor, a way to tell it the camera's picture size, and its dispose
 */
export function zoneEditor(
  api: Api,
  camera: string,
  store: AnalyticsStore,
  canWrite: boolean,
): { root: HTMLElement; setSourceSize(width: number, height: number): void; dispose(): void } {
  let state: EditorState = fromSettings(undefined);
  let dirty = false;
  const picture = snapshotView(
    api,
    `/api/cameras/${camera}/snapshot.jpg`,
    "Current picture of the camera",
  );
  // Only a change of the shapes needs saving; selecting or starting to draw does not.
  const apply = (next: EditorState) => {
    if (next.shapes !== state.shapes) dirty = true;
    state = next;
    update();
  };
  const surface = zoneSurface(() => state, (next) => {
    // Viewers may look, not change.
    if (canWrite) apply(next);
  });
  // The overlay must cover exactly the picture, in the camera's proportions: a snapshot may be
  // the analysis frame, scaled to 640x360 whatever the camera sends.
  let source: { width: number; height: number } | undefined;
  const fitFrame = () => {
    const w = source?.width ?? picture.img.naturalWidth;
    const h = source?.height ?? picture.img.naturalHeight;
    if (!w || !h) return;
    picture.root.style.aspectRatio = `${w} / ${h}`;
    // The whole picture fits on screen, so every corner can be reached without scrolling.
    picture.root.style.maxWidth = `calc(75vh * ${(w / h).toFixed(4)})`;
  };
  picture.img.addEventListener("load", fitFrame);
  picture.root.classList.add("editor-frame");
  picture.root.append(surface.root);

  const button = (text: string, click: () => void, props: Record<string, string> = {}) =>
    el("button", { type: "button", ...props, on: { click } }, text);
  const drawButtons = (["zone", "mask", "line"] as const).map((kind) =>
    button(`Draw ${kind}`, () => {
      apply(startDrawing(state, kind));
      surface.root.focus();
    }, { "data-draw": kind })
  );
  const finish = button("Finish shape", () => apply(finishDrawing(state)));
  const cancel = button("Cancel", () => apply(cancelDrawing(state)));
  const refresh = button("Refresh picture", () => {
    picture.stop();
    picture.start();
  });
  const hint = el("p", { class: "hint", id: `hint-${camera}` });
  const list = el("ul", { class: "shapes", "aria-label": "Shapes" });
  const issues = el("ul", { class: "problems", role: "alert" });
  const save = el("button", { type: "button", class: "primary" }, "Save zones");
  const status = statusLine();
  surface.root.setAttribute("aria-describedby", hint.id);

  const shapeItem = (index: number) => {
    const shape = state.shapes[index]!;
    const chosen = state.selected?.shape === index;
    const name = shape.kind === "mask" ? el("span", {}, `mask ${index + 1}`) : el("input", {
      value: shape.name,
      "aria-label": `Name of ${shape.kind} ${index + 1}`,
      maxlength: 64,
      disabled: !canWrite,
      on: {
        change: (e) =>
          apply(renameShape(state, index, (e.target as HTMLInputElement).value.trim())),
      },
    });
    const pointText = `${shape.points.length} ${shape.kind === "line" ? "ends" : "corners"}`;
    return el(
      "li",
      { class: chosen ? "selected" : "", "data-kind": shape.kind },
      el("span", { class: `swatch ${shape.kind}` }, KIND_TEXT[shape.kind]),
      name,
      el("span", { class: "muted" }, pointText),
      button(chosen ? "Selected" : "Select", () => {
        apply(select(state, { shape: index, point: 0 }));
        surface.root.focus();
      }, { "aria-pressed": String(chosen) }),
      canWrite && button("Delete", () => apply(deleteShape(state, index)), {
        "aria-label": `Delete ${shape.kind} ${shape.name || index + 1}`,
      }),
    );
  };

  function update(): void {
    surface.render(state);
    const drawing = state.drawing;
    const needed = drawing?.kind === "line" ? 2 : MIN_POINTS;
    finish.disabled = !drawing || drawing.points.length < needed;
    cancel.disabled = !drawing;
    hint.textContent = drawing
      ? `Drawing a ${drawing.kind}: click on the picture to add ${
        drawing.kind === "line" ? "its two ends" : "corners, then Finish shape (Enter)"
      }. Keys: arrows move the cursor, Space adds a corner, Escape cancels.`
      : "Drag a corner to move it. Select a shape, then , and . pick a corner, arrows move it, " +
        "Delete removes it.";
    replace(list, ...state.shapes.map((_, i) => shapeItem(i)));
    if (!state.shapes.length) {
      list.append(el("li", { class: "muted" }, "No zones, masks or lines yet."));
    }
    const found = problems(state);
    replace(issues, ...found.map((p) => el("li", {}, p)));
    // Nothing changed, nothing to save (saving also turns analytics on).
    save.disabled = !dirty || found.length > 0 || Boolean(drawing);
  }

  save.addEventListener("click", async () => {
    const saved = await busy(status, save, async () => {
      await store.save(toSettings(state));
      return true;
    }, "Saved.");
    if (saved) {
      dirty = false;
      state = fromSettings(store.get() ?? undefined);
      update();
    }
  });
  store.subscribe(() => {
    // Settings reloaded or saved elsewhere on the page: take their shapes unless the user has
    // changed some, and keep what is being drawn and selected.
    if (dirty) return;
    const stored = fromSettings(store.get() ?? undefined);
    if (JSON.stringify(toSettings(stored)) === JSON.stringify(toSettings(state))) return;
    const selected = state.selected && state.selected.shape < stored.shapes.length
      ? state.selected
      : null;
    state = { shapes: stored.shapes, drawing: state.drawing, selected };
    update();
  });
  update();
  picture.start();
  const root = el(
    "div",
    { class: "zone-editor" },
    canWrite &&
      el(
        "div",
        { class: "toolbar", role: "toolbar", "aria-label": "Drawing tools" },
        ...drawButtons,
        finish,
        cancel,
        refresh,
      ),
    !canWrite && el("div", { class: "toolbar" }, refresh),
    picture.root,
    hint,
    list,
    issues,
    canWrite && save,
    status.root,
  );
  return {
    root,
    setSourceSize(width: number, height: number) {
      if (source?.width === width && source?.height === height) return;
      source = { width, height };
      fitFrame();
    },
    dispose: () => picture.dispose(),
  };
}
