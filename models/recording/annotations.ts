/**
 * Annotated clips: the stored detections of a range as an ASS subtitle script — a box outline and
 * a "label score%" tag per detection, shown until the same track's next detection — which ffmpeg's
 * `ass` filter (libass) burns into the re-encoded clip. One filter and one text file however many
 * detections there are, where a `drawbox` per detection would build a filter graph of thousands of
 * nodes. Pure: detections and a clip plan in, script text out.
 *
 * @module
 */
import type { ClipPlan } from "./timeline.ts";
import { joinedPosition } from "./timeline.ts";

/** A stored detection, as much as drawing needs. */
export interface DrawnDetection {
  /** Frame time, ms since the epoch. */
  ts: number;
  trackId: string | null;
  label: string;
  score: number;
  /** `[x1, y1, x2, y2]` normalized 0..1. */
  box: [number, number, number, number];
}

/** A detection stays on screen at most this long without a newer one of its track. */
export const MAX_SHOW_MS = 1000;
/** How long an untracked (or a track's last) detection is shown. */
export const LAST_SHOW_MS = 400;

const PALETTE = ["00FF00", "00A5FF", "FFFF00", "FF00FF", "0000FF", "FF8000", "80FF80", "FFFFFF"];

/**
 * Writes the subtitle script of a clip.
 *
 * @param detections the detections of the clip's range (any order)
 * @param plan the clip's plan (maps wall time onto the joined timeline)
 * @param size the video's size in pixels
 * @returns the ASS script
 * @example
 * ```ts
 * annotationScript(rows, plan, { width: 640, height: 360 });
 * // "[Script Info]\n...Dialogue: 0,0:00:01.20,0:00:01.40,Box,,0,0,0,,{...}m 64 36 l ..."
 * ```
 */
export function annotationScript(
  detections: readonly DrawnDetection[],
  plan: Pick<ClipPlan, "segments" | "offsetsS">,
  size: { width: number; height: number },
): string {
  const { width, height } = size;
  const fontSize = Math.max(10, Math.round(height / 24));
  const lines = [
    "[Script Info]",
    "ScriptType: v4.00+",
    `PlayResX: ${width}`,
    `PlayResY: ${height}`,
    "WrapStyle: 2",
    "ScaledBorderAndShadow: yes",
    "",
    "[V4+ Styles]",
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, " +
    "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, " +
    "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
    "Style: Box,DejaVu Sans,10,&HFF000000,&HFF000000,&H0000FF00,&HFF000000,0,0,0,0,100,100,0,0," +
    "1,2,0,7,0,0,0,1",
    `Style: Label,DejaVu Sans,${fontSize},&H00000000,&H00000000,&H0000FF00,&H0000FF00,0,0,0,0,` +
    "100,100,0,0,3,1,0,1,0,0,0,1",
    "",
    "[Events]",
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
  ];
  const byTrack = new Map<string, DrawnDetection[]>();
  for (const [i, d] of detections.entries()) {
    const key = d.trackId ?? `untracked:${i}`;
    const list = byTrack.get(key) ?? [];
    list.push(d);
    byTrack.set(key, list);
  }
  const dialogues: { start: number; text: string }[] = [];
  for (const list of byTrack.values()) {
    list.sort((a, b) => a.ts - b.ts);
    for (const [i, d] of list.entries()) {
      const next = list[i + 1];
      const untilMs = next && next.ts - d.ts <= MAX_SHOW_MS ? next.ts : d.ts + LAST_SHOW_MS;
      const start = joinedPosition(plan, d.ts);
      if (start === null) continue;
      const end = start + (untilMs - d.ts) / 1000;
      const color = colorOf(d.label);
      const [x1, y1, x2, y2] = [
        px(d.box[0], width),
        px(d.box[1], height),
        px(d.box[2], width),
        px(d.box[3], height),
      ];
      const times = `${assTime(start)},${assTime(end)}`;
      dialogues.push({
        start,
        text: `Dialogue: 0,${times},Box,,0,0,0,,{\\pos(0,0)\\3c&H${color}&}` +
          `{\\p1}m ${x1} ${y1} l ${x2} ${y1} ${x2} ${y2} ${x1} ${y2}{\\p0}`,
      }, {
        start,
        text:
          `Dialogue: 1,${times},Label,,0,0,0,,{\\pos(${x1},${y1})\\3c&H${color}&\\4c&H${color}&}` +
          `${labelText(d.label)} ${Math.round(d.score * 100)}%`,
      });
    }
  }
  dialogues.sort((a, b) => a.start - b.start);
  return [...lines, ...dialogues.map((d) => d.text)].join("\n") + "\n";
}

/**
 * An ASS time: `H:MM:SS.cc`.
 *
 * @param seconds a position ≥ 0
 * @returns the formatted time
 * @example
 * ```ts
 * assTime(3723.456); // "1:02:03.46"
 * ```
 */
export function assTime(seconds: number): string {
  const cs = Math.max(0, Math.round(seconds * 100));
  const h = Math.floor(cs / 360_000);
  const m = Math.floor(cs / 6000) % 60;
  const s = Math.floor(cs / 100) % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${h}:${pad(m)}:${pad(s)}.${pad(cs % 100)}`;
}

function px(value: number, size: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * size);
}

/** Labels come from model files: braces and backslashes would be read as ASS override codes. */
function labelText(label: string): string {
  return label.replace(/[{}\\]/g, " ");
}

/**
 * The colour a label is drawn in: the same in every clip.
 *
 * @param label a class label
 * @returns the colour as ASS writes it, BBGGRR hex
 * @example
 * ```ts
 * colorOf("person"); // e.g. "00A5FF" (orange)
 * ```
 */
export function colorOf(label: string): string {
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + ch.codePointAt(0)!) >>> 0;
  const rgb = PALETTE[hash % PALETTE.length]!;
  return rgb.slice(4, 6) + rgb.slice(2, 4) + rgb.slice(0, 2);
}
