/**
 * The zone/mask/line editor's state and every change to it, as pure functions (the component only
 * turns pointer and key events into these calls). Coordinates are normalized 0..1 of the frame,
 * as the analytics settings store them.
 *
 * @module
 */
import { selfIntersection } from "../../models/analytics/geometry.ts";
import type { AnalyticsSettings, Line, Mask, Point, Zone } from "../lib/types.ts";

/** What a shape is. */
export type ShapeKind = "zone" | "mask" | "line";

/** One shape being edited; `extra` keeps the fields the editor does not touch. */
export interface Shape {
  kind: ShapeKind;
  /** Zones and lines have names; masks get none (the API has none). */
  name: string;
  points: Point[];
  extra: Record<string, unknown>;
}

/** The editor: shapes, the one being drawn, and the selection. */
export interface EditorState {
  shapes: Shape[];
  drawing: { kind: ShapeKind; points: Point[] } | null;
  selected: { shape: number; point: number | null } | null;
}

/** Same rule as the API: letters, digits, space, `_`, `-`, `.`; 1–64; no space at the ends. */
const NAME = /^(?=.*[\p{L}\p{N}])[\p{L}\p{N}_.-](?:[\p{L}\p{N} _.-]{0,62}[\p{L}\p{N}_.-])?$/u;
/** Vertices a polygon may have (the API's bounds). */
export const MIN_POINTS = 3;
export const MAX_POINTS = 64;

const clamp = (v: number) => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));
const clampPoint = (p: Point): Point => [clamp(p[0]), clamp(p[1])];

/**
 * The editor's shapes from stored settings.
 *
 * @param settings zones, masks and lines (absent → none)
 * @returns a state with nothing drawn or selected
 */
export function fromSettings(
  settings: Pick<AnalyticsSettings, "zones" | "masks" | "lines"> | undefined,
): EditorState {
  const shapes: Shape[] = [];
  for (const { name, polygon, ...extra } of settings?.zones ?? []) {
    shapes.push({ kind: "zone", name, points: polygon.map(clampPoint), extra });
  }
  for (const { polygon, ...extra } of settings?.masks ?? []) {
    shapes.push({ kind: "mask", name: "", points: polygon.map(clampPoint), extra });
  }
  for (const { name, a, b, ...extra } of settings?.lines ?? []) {
    shapes.push({ kind: "line", name, points: [clampPoint(a), clampPoint(b)], extra });
  }
  return { shapes, drawing: null, selected: null };
}

/**
 * The settings fields the shapes make.
 *
 * @param state the editor
 * @returns `zones`, `masks` and `lines` for `PUT .../analytics`
 */
export function toSettings(state: EditorState): { zones: Zone[]; masks: Mask[]; lines: Line[] } {
  const zones: Zone[] = [];
  const masks: Mask[] = [];
  const lines: Line[] = [];
  for (const shape of state.shapes) {
    if (shape.kind === "zone") {
      zones.push({ ...shape.extra, name: shape.name, polygon: shape.points });
    } else if (shape.kind === "mask") masks.push({ ...shape.extra, polygon: shape.points });
    else lines.push({ ...shape.extra, name: shape.name, a: shape.points[0]!, b: shape.points[1]! });
  }
  return { zones, masks, lines };
}

/**
 * Starts drawing a new shape (drops one half drawn).
 *
 * @param state the editor
 * @param kind what to draw
 * @returns the new state
 */
export function startDrawing(state: EditorState, kind: ShapeKind): EditorState {
  return { ...state, drawing: { kind, points: [] }, selected: null };
}

/** A name not used yet: `zone 1`, `zone 2`... */
function freshName(shapes: Shape[], kind: ShapeKind): string {
  const used = new Set(shapes.map((s) => s.name));
  for (let i = 1;; i++) if (!used.has(`${kind} ${i}`)) return `${kind} ${i}`;
}

/**
 * Adds a vertex to the shape being drawn; a line is finished by its second point, a polygon by
 * {@linkcode finishDrawing} (or when it reaches the maximum).
 *
 * @param state the editor
 * @param point where, normalized
 * @returns the new state (unchanged when nothing is being drawn)
 */
export function addPoint(state: EditorState, point: Point): EditorState {
  if (!state.drawing) return state;
  const points = [...state.drawing.points, clampPoint(point)];
  const drawing = { ...state.drawing, points };
  const full = drawing.kind === "line" ? points.length === 2 : points.length === MAX_POINTS;
  return full ? finishDrawing({ ...state, drawing }) : { ...state, drawing };
}

/**
 * Ends drawing: the shape joins the list (and is selected) when it has enough points.
 *
 * @param state the editor
 * @returns the new state, or the same one when the shape is still too small
 */
export function finishDrawing(state: EditorState): EditorState {
  const drawing = state.drawing;
  if (!drawing) return state;
  const needed = drawing.kind === "line" ? 2 : MIN_POINTS;
  if (drawing.points.length < needed) return state;
  const name = drawing.kind === "mask" ? "" : freshName(state.shapes, drawing.kind);
  const shapes = [...state.shapes, { kind: drawing.kind, name, points: drawing.points, extra: {} }];
  return { shapes, drawing: null, selected: { shape: shapes.length - 1, point: null } };
}

/** Drops the shape being drawn. */
export function cancelDrawing(state: EditorState): EditorState {
  return { ...state, drawing: null };
}

function withShape(state: EditorState, index: number, change: (s: Shape) => Shape): EditorState {
  const shape = state.shapes[index];
  if (!shape) return state;
  const shapes = state.shapes.slice();
  shapes[index] = change(shape);
  return { ...state, shapes };
}

/**
 * Moves one vertex (dragging, or the arrow keys), kept inside the frame.
 *
 * @returns the new state
 */
export function movePoint(
  state: EditorState,
  shape: number,
  point: number,
  to: Point,
): EditorState {
  return withShape(state, shape, (s) => {
    if (point < 0 || point >= s.points.length) return s;
    const points = s.points.slice();
    points[point] = clampPoint(to);
    return { ...s, points };
  });
}

/**
 * Deletes one vertex of a polygon; a polygon keeps at least three and a line both ends.
 *
 * @returns the new state (the same when the vertex cannot go)
 */
export function deletePoint(state: EditorState, shape: number, point: number): EditorState {
  const s = state.shapes[shape];
  if (!s || s.kind === "line" || s.points.length <= MIN_POINTS) return state;
  const next = withShape(state, shape, (x) => ({
    ...x,
    points: x.points.filter((_, i) => i !== point),
  }));
  return { ...next, selected: { shape, point: null } };
}

/** Deletes a shape. */
export function deleteShape(state: EditorState, shape: number): EditorState {
  if (!state.shapes[shape]) return state;
  return { ...state, shapes: state.shapes.filter((_, i) => i !== shape), selected: null };
}

/** Renames a zone or line (checked by {@linkcode problems}). */
export function renameShape(state: EditorState, shape: number, name: string): EditorState {
  return withShape(state, shape, (s) => (s.kind === "mask" ? s : { ...s, name }));
}

/** Selects a shape or one of its vertices (null clears). */
export function select(
  state: EditorState,
  selected: { shape: number; point: number | null } | null,
): EditorState {
  return { ...state, selected };
}

/**
 * The vertex nearest to a point, within `radius` pixels on the displayed picture.
 *
 * @param shapes the shapes
 * @param at the point, normalized
 * @param size the displayed picture's size in pixels
 * @param radius how near counts
 * @returns the shape and vertex index, or undefined
 */
export function hitVertex(
  shapes: readonly Shape[],
  at: Point,
  size: { width: number; height: number },
  radius: number,
): { shape: number; point: number } | undefined {
  let best: { shape: number; point: number; d: number } | undefined;
  shapes.forEach((shape, s) =>
    shape.points.forEach((p, i) => {
      const d = Math.hypot((p[0] - at[0]) * size.width, (p[1] - at[1]) * size.height);
      if (d <= radius && (!best || d < best.d)) best = { shape: s, point: i, d };
    })
  );
  return best && { shape: best.shape, point: best.point };
}

/**
 * What would make the API refuse the shapes, one message per problem, worded like its 422s.
 *
 * @param state the editor
 * @returns problems; empty when the shapes can be saved
 */
export function problems(state: EditorState): string[] {
  const out: string[] = [];
  const names = new Map<string, number>();
  state.shapes.forEach((shape, i) => {
    const label = shape.kind === "mask" ? `mask ${i + 1}` : `${shape.kind} "${shape.name}"`;
    if (shape.kind !== "mask") {
      if (!NAME.test(shape.name)) {
        out.push(`${label}: a name is 1–64 letters, digits, spaces, "_", "-" or "."`);
      }
      names.set(shape.name, (names.get(shape.name) ?? 0) + 1);
    }
    if (shape.kind !== "line" && selfIntersection(shape.points)) {
      out.push(`${label} crosses itself; move a corner so its edges do not cross`);
    }
  });
  for (const [name, count] of names) {
    if (count > 1) out.push(`the name "${name}" is used ${count} times; names must differ`);
  }
  return out;
}
