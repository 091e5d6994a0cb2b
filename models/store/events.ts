/**
 * Significant events: the row the analysis writes (through the batch writer, as upserts keyed
 * by the event id: opened, improved, closed), the paged query behind `GET /api/events`, and the
 * view the API and the live feed show.
 *
 * @module
 */
import type postgres from "postgres";
import type { TableSpec } from "./table_spec.ts";
import { cutPage, fetchSize, type Page } from "./pager.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { isUuid } from "../ids.ts";
import type { EventKind } from "../analytics/settings.ts";
import { EVENT_KINDS } from "../analytics/settings_schema.ts";
import { LABEL_PATTERN } from "../detectors/labels.ts";

/** One event as written (and spilled): times in ms since the epoch, so it survives JSON. */
export interface EventRow {
  /** UUIDv7 made by the analysis. */
  id: string;
  cameraId: string;
  kind: EventKind;
  label: string | null;
  trackId: string | null;
  /** Zone or line name. */
  zone: string | null;
  startedAt: number;
  endedAt: number | null;
  bestScore: number | null;
  /** File name of the snapshot under the data dir's `snapshots/<camera>/`. */
  snapshot: string | null;
  /** Kind-specific extras (line direction, box of the best frame, normalized). */
  details: Record<string, unknown>;
}

const SNAPSHOT = /^[0-9a-f-]{36}\.jpg$/;
const NAME = LABEL_PATTERN;

function optionalText(value: unknown, field: string, pattern: RegExp): string | null {
  if (value === null) return null;
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new ValidationError(`event: ${field} is not valid`, field);
  }
  return value;
}

function optionalNumber(value: unknown, field: string): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValidationError(`event: ${field} must be a number or null`, field);
  }
  return value;
}

/**
 * Checks an event row (from the analysis, or read back from a spill file).
 *
 * @param value anything
 * @returns the typed row
 * @throws {ValidationError} naming the bad field
 */
export function parseEventRow(value: unknown): EventRow {
  if (typeof value !== "object" || value === null) {
    throw new ValidationError("event: a row must be an object", "row");
  }
  const row = value as Record<string, unknown>;
  if (!isUuid(row.id)) throw new ValidationError("event: id must be a UUID", "id");
  if (!isUuid(row.cameraId)) {
    throw new ValidationError("event: cameraId must be a UUID", "cameraId");
  }
  const kind = EVENT_KINDS.find((k) => k === row.kind);
  if (!kind) throw new ValidationError("event: kind is not known", "kind");
  const startedAt = optionalNumber(row.startedAt, "startedAt");
  if (startedAt === null) throw new ValidationError("event: startedAt is required", "startedAt");
  if (row.trackId !== null && !isUuid(row.trackId)) {
    throw new ValidationError("event: trackId must be a UUID or null", "trackId");
  }
  const details = row.details;
  if (typeof details !== "object" || details === null || Array.isArray(details)) {
    throw new ValidationError("event: details must be an object", "details");
  }
  return {
    id: row.id,
    cameraId: row.cameraId,
    kind,
    label: optionalText(row.label, "label", NAME),
    trackId: row.trackId as string | null,
    zone: optionalText(row.zone, "zone", NAME),
    startedAt,
    endedAt: optionalNumber(row.endedAt, "endedAt"),
    bestScore: optionalNumber(row.bestScore, "bestScore"),
    snapshot: optionalText(row.snapshot, "snapshot", SNAPSHOT),
    details: details as Record<string, unknown>,
  };
}

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();

/**
 * How event rows go into `events`: an upsert, so the same event written again (a better score, its
 * end) updates the row, and a retried batch changes nothing.
 */
export const EVENTS: TableSpec<EventRow> = {
  table: "events",
  columns: [
    { name: "id", type: "uuid", value: (r) => r.id },
    { name: "camera_id", type: "uuid", value: (r) => r.cameraId },
    { name: "kind", type: "text", value: (r) => r.kind },
    { name: "label", type: "text", value: (r) => r.label },
    { name: "track_id", type: "uuid", value: (r) => r.trackId },
    { name: "zone", type: "text", value: (r) => r.zone },
    { name: "started_at", type: "timestamptz", value: (r) => iso(r.startedAt) },
    { name: "ended_at", type: "timestamptz", value: (r) => iso(r.endedAt) },
    { name: "best_score", type: "float4", value: (r) => r.bestScore },
    { name: "snapshot_path", type: "text", value: (r) => r.snapshot },
    { name: "details", type: "jsonb", value: (r) => JSON.stringify(r.details) },
  ],
  onConflict: "(id) do update set ended_at = excluded.ended_at, " +
    "best_score = excluded.best_score, snapshot_path = excluded.snapshot_path, " +
    "details = excluded.details",
  key: (r) => r.id,
  parse: parseEventRow,
};

/** An event as the API and the live feed show it. */
export interface EventView {
  id: string;
  camera: string;
  kind: EventKind;
  label: string | null;
  trackId: string | null;
  zone: string | null;
  startedAt: string;
  endedAt: string | null;
  bestScore: number | null;
  hasSnapshot: boolean;
  details: Record<string, unknown>;
}

/**
 * The API view of a row.
 *
 * @param row an event row
 * @returns the view
 */
export function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    camera: row.cameraId,
    kind: row.kind,
    label: row.label,
    trackId: row.trackId,
    zone: row.zone,
    startedAt: new Date(row.startedAt).toISOString(),
    endedAt: iso(row.endedAt),
    bestScore: row.bestScore,
    hasSnapshot: row.snapshot !== null,
    details: row.details,
  };
}

interface EventDbRow {
  id: string;
  camera_id: string;
  kind: EventKind;
  label: string | null;
  track_id: string | null;
  zone: string | null;
  started_at: Date;
  ended_at: Date | null;
  best_score: number | null;
  snapshot_path: string | null;
  details: Record<string, unknown>;
}

function fromDb(row: EventDbRow): EventRow {
  return {
    id: row.id,
    cameraId: row.camera_id,
    kind: row.kind,
    label: row.label,
    trackId: row.track_id,
    zone: row.zone,
    startedAt: row.started_at.getTime(),
    endedAt: row.ended_at?.getTime() ?? null,
    bestScore: row.best_score,
    snapshot: row.snapshot_path,
    details: row.details ?? {},
  };
}

/** Filters and paging of {@linkcode listEvents}. */
export interface EventQuery {
  camera?: string;
  /** Only these cameras (a token limited to cameras); absent for every camera. */
  cameras?: readonly string[];
  label?: string;
  kind?: EventKind;
  /** Events that started at or after. */
  from?: Date;
  /** Events that started before. */
  to?: Date;
  limit: number;
  /** The id of the last event of the previous page (ids are UUIDv7, so ordered by start). */
  cursor?: string;
}

/**
 * Lists events newest first, keyset-paged on `(started_at, id)`.
 *
 * @returns the page and the cursor of the next (older) one
 */
export async function listEvents(
  sql: postgres.Sql,
  query: EventQuery,
): Promise<Page<EventView>> {
  const after = query.cursor === undefined
    ? undefined
    : (await sql<{ started_at: Date }[]>`select started_at from events where id = ${query.cursor}`)[
      0
    ];
  if (query.cursor !== undefined && !after) {
    throw new ValidationError("cursor is not valid", "cursor", 400);
  }
  const rows = await sql<EventDbRow[]>`
    select * from events where true
      ${query.camera === undefined ? sql`` : sql`and camera_id = ${query.camera}`}
      ${
    query.cameras === undefined ? sql`` : sql`and camera_id = any(${[...query.cameras]}::uuid[])`
  }
      ${query.label === undefined ? sql`` : sql`and label = ${query.label}`}
      ${query.kind === undefined ? sql`` : sql`and kind = ${query.kind}`}
      ${query.from === undefined ? sql`` : sql`and started_at >= ${query.from}`}
      ${query.to === undefined ? sql`` : sql`and started_at < ${query.to}`}
      ${
    after === undefined
      ? sql``
      : sql`and (started_at, id) < (${after.started_at}, ${query.cursor!}::uuid)`
  }
    order by started_at desc, id desc
    limit ${fetchSize(query.limit)}`;
  return cutPage(rows, query.limit, (row) => eventView(fromDb(row)), (row) => row.id);
}

/**
 * Reads one event.
 *
 * @throws {NotFoundError}
 */
export async function getEvent(sql: postgres.Sql, id: string): Promise<EventRow> {
  const [row] = await sql<EventDbRow[]>`select * from events where id = ${id}`;
  if (!row) throw new NotFoundError(`event ${id}`);
  return fromDb(row);
}

/** Filters and bound of {@linkcode eventsToReplay}. */
export interface ReplayQuery {
  /** The id of the last event the client saw (`Last-Event-ID`): a UUIDv7. */
  after: string;
  camera?: string;
  /** Only these cameras (a token limited to cameras); absent for every camera. */
  cameras?: readonly string[];
  /** Rows at most; one more is read, to tell that the replay was cut. */
  limit: number;
}

/**
 * What a feed client that last saw event `after` may have missed: every event that started after
 * it, and every earlier event that ended since it started — oldest change first, each once with its
 * state now. At least once: a client may get again an event it had (the id is the key).
 *
 * @param sql the database
 * @param query the last event seen, camera filters, bound
 * @returns the events (`limit` at most) and whether more were left out
 */
export async function eventsToReplay(
  sql: postgres.Sql,
  query: ReplayQuery,
): Promise<{ events: EventView[]; truncated: boolean }> {
  // A UUIDv7's first 48 bits are its creation time in ms: the moment the client's feed had
  // reached, at the latest, without reading a row that retention may have deleted.
  const since = new Date(parseInt(query.after.replaceAll("-", "").slice(0, 12), 16));
  const rows = await sql<EventDbRow[]>`
    select * from events
    where (id > ${query.after}::uuid or ended_at >= ${since})
      ${query.camera === undefined ? sql`` : sql`and camera_id = ${query.camera}`}
      ${
    query.cameras === undefined ? sql`` : sql`and camera_id = any(${[...query.cameras]}::uuid[])`
  }
    order by coalesce(ended_at, started_at), id
    limit ${query.limit + 1}`;
  return {
    events: rows.slice(0, query.limit).map((row) => eventView(fromDb(row))),
    truncated: rows.length > query.limit,
  };
}
