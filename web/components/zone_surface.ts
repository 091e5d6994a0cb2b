/// <reference lib="dom" />
/**
 * The drawing surface: an SVG laid exactly over the camera's picture, drawn in the picture's
 * displayed pixels (so handles stay round), turning pointer and key input into editor changes.
 *
 * Mouse/touch: while drawing, each click adds a corner; otherwise drag a corner to move it, click
 * a shape to select it. Keys (surface focused): arrows move the cursor while drawing (Space adds a
 * corner there) or the selected corner (Shift: bigger steps); `,`/`.` pick the previous/next
 * corner; Enter finishes; Escape cancels; Delete removes the selected corner (or shape).
 *
 * @module
 */
import { replace, svg } from "../lib/dom.ts";
import type { Point } from "../lib/types.ts";
import {
  addPoint,
  cancelDrawing,
  deletePoint,
  deleteShape,
  type EditorState,
  finishDrawing,
  hitVertex,
  movePoint,
  select,
} from "../logic/shapes.ts";

/** Corner handles: how near a press must be to grab one (px). */
const GRAB_PX = 12;
const STEP = 0.01;

/** The surface. */
export interface Surface {
  root: SVGSVGElement;
  /** Draws a state (called after every change). */
  render(state: EditorState): void;
}

/**
 * @param getState the editor's current state
 * @param setState applies a new state (and re-renders)
 * @returns the surface (place it over the picture)
 */
export function zoneSurface(
  getState: () => EditorState,
  setState: (state: EditorState) => void,
): Surface {
  const root = svg("svg", {
    class: "surface",
    tabindex: 0,
    role: "application",
    "aria-label": "Drawing surface over the camera picture",
    "aria-roledescription": "drawing surface",
  });
  let size = { width: 1, height: 1 };
  let cursor: Point = [0.5, 0.5];
  let dragging: { shape: number; point: number; pointer: number } | undefined;

  const at = (event: PointerEvent): Point => {
    const rect = root.getBoundingClientRect();
    return [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
  };
  const px = (p: Point) => `${p[0] * size.width},${p[1] * size.height}`;

  const render = (state: EditorState) => {
    root.setAttribute("viewBox", `0 0 ${size.width} ${size.height}`);
    const nodes: SVGElement[] = [];
    state.shapes.forEach((shape, s) => {
      const chosen = state.selected?.shape === s;
      const cls = `shape ${shape.kind}${chosen ? " selected" : ""}`;
      const points = shape.points.map(px).join(" ");
      nodes.push(
        shape.kind === "line"
          ? svg("polyline", { class: cls, points, "data-shape": s })
          : svg("polygon", { class: cls, points, "data-shape": s }),
      );
      const first = shape.points[0];
      if (first && shape.name) {
        nodes.push(svg("text", {
          class: "shape-name",
          x: first[0] * size.width + 6,
          y: first[1] * size.height - 6,
        }, shape.name));
      }
      shape.points.forEach((p, i) => {
        const picked = chosen && state.selected?.point === i;
        nodes.push(svg("circle", {
          class: `handle${picked ? " picked" : ""}`,
          cx: p[0] * size.width,
          cy: p[1] * size.height,
          r: picked ? 7 : 5,
        }));
      });
    });
    if (state.drawing) {
      const points = state.drawing.points.map(px).join(" ");
      nodes.push(svg("polyline", { class: `shape drawing ${state.drawing.kind}`, points }));
      for (const p of state.drawing.points) {
        nodes.push(
          svg("circle", { class: "handle", cx: p[0] * size.width, cy: p[1] * size.height, r: 5 }),
        );
      }
      nodes.push(svg("circle", {
        class: "cursor",
        cx: cursor[0] * size.width,
        cy: cursor[1] * size.height,
        r: 9,
      }));
    }
    replace(root, ...nodes);
  };

  new ResizeObserver(() => {
    const rect = root.getBoundingClientRect();
    size = { width: Math.max(1, rect.width), height: Math.max(1, rect.height) };
    render(getState());
  }).observe(root);

  root.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const p = at(event);
    const state = getState();
    root.focus({ preventScroll: true });
    if (state.drawing) {
      cursor = p;
      setState(addPoint(state, p));
      return;
    }
    const hit = hitVertex(state.shapes, p, size, GRAB_PX);
    if (hit) {
      dragging = { ...hit, pointer: event.pointerId };
      root.setPointerCapture(event.pointerId);
      setState(select(state, hit));
      return;
    }
    const shape = (event.target as Element).getAttribute?.("data-shape");
    setState(select(state, shape === null ? null : { shape: Number(shape), point: null }));
  });
  root.addEventListener("pointermove", (event) => {
    if (!dragging || event.pointerId !== dragging.pointer) return;
    setState(movePoint(getState(), dragging.shape, dragging.point, at(event)));
  });
  const endDrag = () => (dragging = undefined);
  root.addEventListener("pointerup", endDrag);
  root.addEventListener("pointercancel", endDrag);

  root.addEventListener("keydown", (event) => {
    const state = getState();
    const step = event.shiftKey ? STEP * 5 : STEP;
    const arrows: Record<string, Point> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const move = arrows[event.key];
    const sel = state.selected;
    let next: EditorState | undefined;
    if (move && state.drawing) {
      cursor = [
        Math.min(1, Math.max(0, cursor[0] + move[0])),
        Math.min(1, Math.max(0, cursor[1] + move[1])),
      ];
      render(state);
      event.preventDefault();
      return;
    }
    if (move && sel && sel.point !== null) {
      const p = state.shapes[sel.shape]?.points[sel.point];
      if (p) next = movePoint(state, sel.shape, sel.point, [p[0] + move[0], p[1] + move[1]]);
    } else if (event.key === " " && state.drawing) next = addPoint(state, cursor);
    else if (event.key === "Enter" && state.drawing) next = finishDrawing(state);
    else if (event.key === "Escape") {
      next = state.drawing ? cancelDrawing(state) : select(state, null);
    } else if ((event.key === "," || event.key === ".") && sel) {
      const count = state.shapes[sel.shape]?.points.length ?? 0;
      const from = sel.point ?? (event.key === "," ? 0 : -1);
      const point = (from + (event.key === "," ? -1 : 1) + count) % count;
      next = select(state, { shape: sel.shape, point });
    } else if ((event.key === "Delete" || event.key === "Backspace") && sel) {
      next = sel.point !== null
        ? deletePoint(state, sel.shape, sel.point)
        : deleteShape(state, sel.shape);
    }
    if (next) {
      event.preventDefault();
      setState(next);
    }
  });
  return { root, render };
}
