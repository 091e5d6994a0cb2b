/**
 * Plane geometry for analytics: boxes in source pixels, zones and lines in normalized 0..1 frame
 * coordinates (so settings survive a resolution change), and the tests that join them.
 *
 * Image coordinates: x grows to the right, y grows DOWN.
 *
 * @module
 */
import type { Box } from "../detectors/types.ts";

/** A point `[x, y]`, in pixels or normalized 0..1 depending on where it is used. */
export type Point = [x: number, y: number];

/** A polygon as its vertices in order; the last vertex joins the first. */
export type Polygon = readonly Point[];

/**
 * The centre of a box.
 *
 * @param box the box
 * @returns its centre, in the box's units
 * @example
 * ```ts
 * boxCenter([0, 0, 10, 20]); // [5, 10]
 * ```
 */
export function boxCenter(box: Box): Point {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

/**
 * The bottom centre of a box: where a standing person or a car touches the ground. Zones and lines
 * are drawn on the ground in the camera image, so this "foot point" is what decides whether an
 * object is in a zone; the box centre would put a tall person standing just outside a floor zone
 * inside it (their torso overlaps the zone in the image), and a person behind the zone's far
 * edge inside it too.
 *
 * @param box the box
 * @returns `[centre x, bottom y]`, in the box's units
 * @example
 * ```ts
 * boxFootPoint([0, 0, 10, 20]); // [5, 20]
 * ```
 */
export function boxFootPoint(box: Box): Point {
  return [(box[0] + box[2]) / 2, box[3]];
}

/**
 * Converts a point from source pixels to normalized 0..1 frame coordinates.
 *
 * @param point a point in pixels
 * @param width frame width in pixels
 * @param height frame height in pixels
 * @returns the point divided by the frame size
 * @example
 * ```ts
 * normalizePoint([320, 90], 640, 360); // [0.5, 0.25]
 * ```
 */
export function normalizePoint(point: Point, width: number, height: number): Point {
  return [point[0] / width, point[1] / height];
}

/**
 * Converts a box from source pixels to normalized 0..1 frame coordinates.
 *
 * @param box a box in pixels
 * @param width frame width in pixels
 * @param height frame height in pixels
 * @returns the box divided by the frame size
 * @example
 * ```ts
 * normalizeBox([64, 36, 320, 360], 640, 360); // [0.1, 0.1, 0.5, 1]
 * ```
 */
export function normalizeBox(box: Box, width: number, height: number): Box {
  return [box[0] / width, box[1] / height, box[2] / width, box[3] / height];
}

/**
 * Which side of the directed line `a → b` a point lies on, as the sign of the cross product.
 * With y growing down, a positive value is on the RIGHT of someone standing at `a` facing `b`
 * (as seen on screen).
 *
 * @param a line start
 * @param b line end
 * @param p the point
 * @returns > 0 right, < 0 left, 0 on the line; magnitude is twice the triangle's area
 * @example
 * ```ts
 * sideOfLine([0, 0], [1, 0], [0.5, 1]); // 1 (below a left-to-right line: its right side)
 * ```
 */
export function sideOfLine(a: Point, b: Point, p: Point): number {
  return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

/**
 * Whether segment `p1–p2` and segment `q1–q2` share at least one point (touching counts).
 *
 * @param p1 first segment start
 * @param p2 first segment end
 * @param q1 second segment start
 * @param q2 second segment end
 * @returns true if they intersect or touch
 * @example
 * ```ts
 * segmentsIntersect([0, 0], [1, 1], [0, 1], [1, 0]); // true (an X)
 * segmentsIntersect([0, 0], [1, 0], [0, 1], [1, 1]); // false (parallel)
 * ```
 */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = Math.sign(sideOfLine(q1, q2, p1));
  const d2 = Math.sign(sideOfLine(q1, q2, p2));
  const d3 = Math.sign(sideOfLine(p1, p2, q1));
  const d4 = Math.sign(sideOfLine(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  // Collinear or endpoint-touching cases: a zero side means the point lies on the other line;
  // it intersects only if it also lies within that segment's bounding box.
  return (d1 === 0 && onSegment(q1, q2, p1)) || (d2 === 0 && onSegment(q1, q2, p2)) ||
    (d3 === 0 && onSegment(p1, p2, q1)) || (d4 === 0 && onSegment(p1, p2, q2));
}

function onSegment(a: Point, b: Point, p: Point): boolean {
  return p[0] >= Math.min(a[0], b[0]) && p[0] <= Math.max(a[0], b[0]) &&
    p[1] >= Math.min(a[1], b[1]) && p[1] <= Math.max(a[1], b[1]);
}

/**
 * Whether a point lies inside a polygon (even-odd ray casting). Points exactly on an edge may fall
 * either way; zones are drawn by hand, so a pixel of difference on the border does not matter.
 *
 * @param point the point
 * @param polygon the polygon, in the same units
 * @returns true if inside
 * @example
 * ```ts
 * pointInPolygon([0.5, 0.5], [[0, 0], [1, 0], [1, 1], [0, 1]]); // true
 * ```
 */
export function pointInPolygon(point: Point, polygon: Polygon): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Finds the first pair of polygon edges that intersect other than at their shared corner: a
 * "bowtie", an edge that folds back along its neighbour, or a repeated vertex. A simple polygon
 * returns `undefined`.
 *
 * @param polygon the polygon, at least 3 vertices
 * @returns the indices `[i, j]` of two offending edges (edge i runs from vertex i to vertex i+1),
 *   or `undefined` if the polygon is simple
 * @example
 * ```ts
 * selfIntersection([[0, 0], [1, 1], [1, 0], [0, 1]]); // [0, 2] (a bowtie)
 * selfIntersection([[0, 0], [1, 0], [1, 1], [0, 1]]); // undefined
 * ```
 */
export function selfIntersection(polygon: Polygon): [number, number] | undefined {
  const n = polygon.length;
  const edge = (i: number): [Point, Point] => [polygon[i]!, polygon[(i + 1) % n]!];
  for (let i = 0; i < n; i++) {
    const [a1, a2] = edge(i);
    if (a1[0] === a2[0] && a1[1] === a2[1]) return [(i + n - 1) % n, i];
  }
  for (let i = 0; i < n; i++) {
    const [a1, a2] = edge(i);
    for (let j = i + 1; j < n; j++) {
      const [b1, b2] = edge(j);
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      if (!adjacent) {
        if (segmentsIntersect(a1, a2, b1, b2)) return [i, j];
        continue;
      }
      // Neighbours share one corner by construction; they are wrong only when they are collinear
      // and the second doubles back over the first.
      const [shared, aFar, bFar] = j === i + 1 ? [a2, a1, b2] : [a1, a2, b1];
      if (sideOfLine(shared, aFar, bFar) !== 0) continue;
      const dot = (aFar[0] - shared[0]) * (bFar[0] - shared[0]) +
        (aFar[1] - shared[1]) * (bFar[1] - shared[1]);
      if (dot > 0) return [i, j];
    }
  }
  return undefined;
}
