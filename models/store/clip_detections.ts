/**
 * The stored detections an annotated clip draws: one camera, one range, oldest first, boxes
 * normalized as stored.
 *
 * @module
 */
import type postgres from "postgres";
import type { DrawnDetection } from "../recording/annotations.ts";

/**
 * The detections of a camera in a range, oldest first, for an annotated clip.
 *
 * @param sql the database
 * @param camera camera id
 * @param from range start
 * @param to range end
 * @param limit most rows read (a busy camera makes ~10 rows a second)
 * @returns the detections, box normalized
 */
export async function detectionsForClip(
  sql: postgres.Sql,
  camera: string,
  from: Date,
  to: Date,
  limit = 500_000,
): Promise<DrawnDetection[]> {
  const rows = await sql<
    {
      ts: Date;
      track_id: string | null;
      label: string;
      score: number;
      x1: number;
      y1: number;
      x2: number;
      y2: number;
    }[]
  >`
    select ts, track_id, label, score, x1, y1, x2, y2 from detections
    where camera_id = ${camera} and ts >= ${from} and ts < ${to}
    order by ts limit ${limit}`;
  return rows.map((r) => ({
    ts: r.ts.getTime(),
    trackId: r.track_id,
    label: r.label,
    score: r.score,
    box: [r.x1, r.y1, r.x2, r.y2],
  }));
}
