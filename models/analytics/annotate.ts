/**
 * Annotation of live pictures: boxes, labels and track ids drawn straight into raw yuv420p
 * frames (what the live decoder writes), and the rule that decides which analysis result a
 * picture is drawn with.
 *
 * Drawing is in place, on purpose: a 1080p frame is 3 MB and arrives 25 times a second, and only
 * the outlines change. Coordinates are snapped to even pixels so the 2x2-subsampled chroma planes
 * take the colour cleanly, without fringes.
 *
 * @module
 */
import type { BoardObject, BoardPost } from "./track_board.ts";
import { glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from "./font.ts";

/** A raw yuv420p picture: Y plane, then U, then V (quarter size each). */
export interface Yuv420Frame {
  width: number;
  height: number;
  /** `width * height * 3 / 2` bytes. Changed in place by {@linkcode drawOverlay}. */
  data: Uint8Array;
}

/** A colour in limited-range BT.601 YUV (what ffmpeg's scaler writes for yuv420p). */
export type Yuv = [y: number, u: number, v: number];

/** Bright green: the box and label background. */
export const BOX_COLOR: Yuv = [145, 54, 34];
/** Black: the label text. */
export const TEXT_COLOR: Yuv = [16, 128, 128];

/**
 * The text drawn above a box: label, the last four characters of the track id (the random end
 * of a UUIDv7, distinct between tracks), and the score.
 *
 * @param object the tracked object
 * @returns e.g. `"PERSON #9F3A 87%"`
 */
export function labelText(object: BoardObject): string {
  const score = Math.round(Math.min(1, Math.max(0, object.score)) * 100);
  return `${object.label} #${object.trackId.slice(-4)} ${score}%`.toUpperCase();
}

/**
 * Draws each object's box outline and label onto a yuv420p frame, in place. Line width and text
 * size grow with the frame height (2 px and 1x at 360p).
 *
 * @param frame the picture (changed)
 * @param objects boxes normalized to 0..1
 * @example
 * ```ts
 * drawOverlay(frame, [{ box: [0.1, 0.2, 0.3, 0.6], label: "person", trackId: "…9f3a", score: 0.87 }]);
 * ```
 */
export function drawOverlay(frame: Yuv420Frame, objects: readonly BoardObject[]): void {
  const scale = Math.max(1, Math.round(frame.height / 360));
  const line = 2 * scale;
  for (const object of objects) {
    const [nx1, ny1, nx2, ny2] = object.box;
    const x1 = snap(nx1 * frame.width, frame.width);
    const y1 = snap(ny1 * frame.height, frame.height);
    const x2 = snap(nx2 * frame.width, frame.width);
    const y2 = snap(ny2 * frame.height, frame.height);
    if (x2 - x1 < line || y2 - y1 < line) continue;
    fillRect(frame, x1, y1, x2, y1 + line, BOX_COLOR);
    fillRect(frame, x1, y2 - line, x2, y2, BOX_COLOR);
    fillRect(frame, x1, y1, x1 + line, y2, BOX_COLOR);
    fillRect(frame, x2 - line, y1, x2, y2, BOX_COLOR);
    drawLabel(frame, labelText(object), x1, y1, scale);
  }
}

/** What to do with a picture waiting to be annotated. */
export type OverlayDecision = "draw" | "wait" | "bare";

/**
 * Decides whether a picture can be drawn now. The boxes drawn on a picture must come from an
 * analysed frame at most one analysis interval older than the picture; the analysis of a frame
 * lands tens of ms after the live decoder delivered the same moment, so a picture waits briefly
 * for it. A picture that waited `maxWaitMs` goes out bare (analysis stalled or detached): never
 * with stale boxes, and never held up longer.
 *
 * @param pictureTs when the picture arrived, epoch ms
 * @param post the board's latest post, or undefined when analysis is not running
 * @param now the current time, epoch ms
 * @param maxWaitMs longest a picture is held
 * @returns `draw` with `post`, `wait` for a newer post, or `bare` (draw nothing)
 * @example
 * ```ts
 * overlayDecision(1000, { ts: 900, intervalMs: 200, objects: [] }, 1010, 250); // "draw"
 * overlayDecision(1000, { ts: 700, intervalMs: 200, objects: [] }, 1010, 250); // "wait"
 * ```
 */
export function overlayDecision(
  pictureTs: number,
  post: BoardPost | undefined,
  now: number,
  maxWaitMs: number,
): OverlayDecision {
  if (!post) return "bare";
  if (pictureTs - post.ts <= post.intervalMs) return "draw";
  return now - pictureTs >= maxWaitMs ? "bare" : "wait";
}

function snap(value: number, limit: number): number {
  return Math.min(limit, Math.max(0, 2 * Math.round(value / 2)));
}

function drawLabel(frame: Yuv420Frame, text: string, x: number, boxTop: number, scale: number) {
  const pad = 2 * scale;
  const height = GLYPH_HEIGHT * scale + 2 * pad;
  const width = text.length * (GLYPH_WIDTH + 1) * scale + 2 * pad;
  // Above the box when there is room, else just inside its top edge.
  const top = boxTop - height >= 0 ? boxTop - height : boxTop;
  const x2 = Math.min(frame.width, x + width + (width % 2));
  const y2 = Math.min(frame.height, top + height + (height % 2));
  fillRect(frame, x, top, x2, y2, BOX_COLOR);
  for (let c = 0; c < text.length; c++) {
    const rows = glyph(text[c]!);
    const gx = x + pad + c * (GLYPH_WIDTH + 1) * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((rows[row]! >> (GLYPH_WIDTH - 1 - col) & 1) === 0) continue;
        const px = gx + col * scale;
        const py = top + pad + row * scale;
        fillLuma(frame, px, py, px + scale, py + scale, TEXT_COLOR[0]);
      }
    }
  }
}

/** Fills [x1, x2) x [y1, y2) (even corners) in all three planes. */
function fillRect(frame: Yuv420Frame, x1: number, y1: number, x2: number, y2: number, c: Yuv) {
  fillLuma(frame, x1, y1, x2, y2, c[0]);
  const { width, height, data } = frame;
  const cw = width >> 1;
  const uBase = width * height;
  const vBase = uBase + cw * (height >> 1);
  const cx1 = x1 >> 1, cx2 = Math.min(cw, x2 >> 1);
  for (let y = y1 >> 1; y < Math.min(height >> 1, y2 >> 1); y++) {
    data.fill(c[1], uBase + y * cw + cx1, uBase + y * cw + cx2);
    data.fill(c[2], vBase + y * cw + cx1, vBase + y * cw + cx2);
  }
}

function fillLuma(frame: Yuv420Frame, x1: number, y1: number, x2: number, y2: number, y: number) {
  const { width, height, data } = frame;
  const left = Math.max(0, x1), right = Math.min(width, x2);
  if (right <= left) return;
  for (let row = Math.max(0, y1); row < Math.min(height, y2); row++) {
    data.fill(y, row * width + left, row * width + right);
  }
}
