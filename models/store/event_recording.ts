/**
 * What recording needs from the `events` table: the `keep` flag (a kept event's segments survive
 * retention and the disk guard), and the events around a time (recovery decides a crashed events
 * mode's pre-roll segments with them).
 *
 * @module
 */
import type postgres from "postgres";
import { NotFoundError } from "../errors.ts";

/**
 * Sets or clears an event's `keep` flag.
 *
 * @param sql the database
 * @param id event id
 * @param keep the new value
 * @returns the event's id, camera and flag
 * @throws {NotFoundError}
 */
export async function setEventKeep(
  sql: postgres.Sql,
  id: string,
  keep: boolean,
): Promise<{ id: string; camera: string; keep: boolean }> {
  const [row] = await sql<{ id: string; camera_id: string; keep: boolean }[]>`
    update events set keep = ${keep} where id = ${id} returning id, camera_id, keep`;
  if (!row) throw new NotFoundError(`event ${id}`);
  return { id: row.id, camera: row.camera_id, keep: row.keep };
}

/**
 * Reads an event's `keep` flag.
 *
 * @throws {NotFoundError}
 */
export async function getEventKeep(sql: postgres.Sql, id: string): Promise<boolean> {
  const [row] = await sql<{ keep: boolean }[]>`select keep from events where id = ${id}`;
  if (!row) throw new NotFoundError(`event ${id}`);
  return row.keep;
}

/** An event as recording sees it (ms since the epoch). */
export interface EventSpan {
  id: string;
  kind: string;
  label: string | null;
  startMs: number;
  endMs: number | null;
}

/**
 * A camera's events that started before `to` and had not ended by `from`.
 *
 * @param sql the database
 * @param camera camera id
 * @param from range start
 * @param to range end
 * @returns the events
 */
export async function eventsAround(
  sql: postgres.Sql,
  camera: string,
  from: Date,
  to: Date,
): Promise<EventSpan[]> {
  const rows = await sql<
    { id: string; kind: string; label: string | null; started_at: Date; ended_at: Date | null }[]
  >`
    select id, kind, label, started_at, ended_at from events
    where camera_id = ${camera} and started_at < ${to}
      and (ended_at is null or ended_at > ${from})`;
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    label: r.label,
    startMs: r.started_at.getTime(),
    endMs: r.ended_at?.getTime() ?? null,
  }));
}
