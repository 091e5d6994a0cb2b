/**
 * Camera rows: queries and the mapping between rows and the domain type. Passwords are stored
 * sealed (see `models/secret_box.ts`) and never leave this module in a {@linkcode Camera}.
 *
 * @module
 */
import { movedToHost } from "../media/camera_stream_url.ts";
import type postgres from "postgres";
import { ConflictError, NotFoundError, UnknownBoxError } from "../errors.ts";
import type { SuspectedMove } from "../onvif/move_checks.ts";
import { isForeignKeyViolation, isUniqueViolation } from "./pg_errors.ts";
import { cutPage, fetchSize, type Page } from "./pager.ts";

/** RTSP transport ffmpeg uses to pull the camera. */
export type Transport = "tcp" | "udp";

/** What the operator asked a camera to do; restored after a restart of the server. */
export interface DesiredState {
  capturing?: boolean;
  analytics?: unknown;
  recording?: unknown;
  /** The camera's own events (ONVIF), see models/onvif/event_state.ts. */
  onvifEvents?: unknown;
}

/** A camera as the rest of the system sees it (no password). */
export interface Camera {
  id: string;
  name: string;
  /** Source URL without userinfo. */
  sourceUrl: string;
  /** The stream to record instead of `sourceUrl`, without userinfo (the same credentials). */
  recordUrl: string | undefined;
  /** The stream analysis decodes instead of `sourceUrl`, without userinfo (the same credentials). */
  analysisUrl: string | undefined;
  username: string | undefined;
  hasPassword: boolean;
  transport: Transport;
  desired: DesiredState;
  onvif: unknown;
  /** A move to a new address not followed without an admin (ONVIF cameras only). */
  suspectedMove: SuspectedMove | undefined;
  /** Several boxes: the box placement gives the camera to whenever it is up. */
  pinBox: string | undefined;
  createdAt: string;
  updatedAt: string;
}

/** Fields a new camera row gets. */
export interface NewCamera {
  id: string;
  name: string;
  sourceUrl: string;
  username?: string;
  passwordSealed?: string;
  transport: Transport;
  onvif?: unknown;
  /** A stream to record instead of `sourceUrl`, without credentials. */
  recordUrl?: string;
  /** A stream to analyse instead of `sourceUrl`, without credentials. */
  analysisUrl?: string;
  /** The box it is pinned to (a registered box's id). */
  pinBox?: string;
}

/** Fields an update may change; `undefined` leaves a column as it is. */
export interface CameraChanges {
  name?: string;
  sourceUrl?: string;
  /** `null` clears the record URL. */
  recordUrl?: string | null;
  /** `null` clears the analysis URL. */
  analysisUrl?: string | null;
  /** `null` clears the username. */
  username?: string | null;
  /** `null` clears the password. */
  passwordSealed?: string | null;
  transport?: Transport;
  /** `null` clears the pin. */
  pinBox?: string | null;
}

interface CameraRow {
  id: string;
  name: string;
  source_url: string;
  record_url: string | null;
  analysis_url: string | null;
  username: string | null;
  password_encrypted: string | null;
  transport: Transport;
  desired: DesiredState;
  onvif: unknown;
  suspected_move: SuspectedMove | null;
  pin_box: string | null;
  created_at: Date;
  updated_at: Date;
}

function toCamera(row: CameraRow): Camera {
  return {
    id: row.id,
    name: row.name,
    sourceUrl: row.source_url,
    recordUrl: row.record_url ?? undefined,
    analysisUrl: row.analysis_url ?? undefined,
    username: row.username ?? undefined,
    hasPassword: row.password_encrypted !== null,
    transport: row.transport,
    desired: row.desired ?? {},
    onvif: row.onvif ?? undefined,
    suspectedMove: row.suspected_move ?? undefined,
    pinBox: row.pin_box ?? undefined,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Inserts a camera.
 *
 * @throws {ConflictError} when the name is taken
 * @throws {UnknownBoxError} when `pinBox` names no registered box
 */
export async function insertCamera(sql: postgres.Sql, camera: NewCamera): Promise<Camera> {
  try {
    const [row] = await sql<CameraRow[]>`
      insert into cameras (id, name, source_url, username, password_encrypted, transport, onvif,
                           record_url, analysis_url, pin_box)
      values (${camera.id}, ${camera.name}, ${camera.sourceUrl}, ${camera.username ?? null},
              ${camera.passwordSealed ?? null}, ${camera.transport},
              ${camera.onvif === undefined ? null : sql.json(camera.onvif as postgres.JSONValue)},
              ${camera.recordUrl ?? null}, ${camera.analysisUrl ?? null}, ${camera.pinBox ?? null})
      returning *`;
    return toCamera(row!);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError(`a camera named ${JSON.stringify(camera.name)} exists already`);
    }
    // The pin's foreign key (migration 014): the box never registered.
    if (isForeignKeyViolation(error) && camera.pinBox) throw new UnknownBoxError(camera.pinBox);
    throw error;
  }
}

/**
 * Lists cameras in creation order (ids are UUIDv7), `limit` at a time after `after`, only those
 * in `ids` when given (a token limited to cameras).
 *
 * @returns the page and the cursor of the next one
 */
export async function listCameras(
  sql: postgres.Sql,
  page: { limit: number; after?: string; ids?: readonly string[] },
): Promise<Page<Camera>> {
  const rows = await sql<CameraRow[]>`
    select * from cameras where true
    ${page.after ? sql`and id > ${page.after}` : sql``}
    ${page.ids === undefined ? sql`` : sql`and id = any(${[...page.ids]}::uuid[])`}
    order by id limit ${fetchSize(page.limit)}`;
  return cutPage(rows, page.limit, toCamera, (row) => row.id);
}

/** Every camera (for the fleet at start). */
export async function allCameras(sql: postgres.Sql): Promise<Camera[]> {
  const rows = await sql<CameraRow[]>`select * from cameras order by id`;
  return rows.map(toCamera);
}

/**
 * Reads one camera.
 *
 * @throws {NotFoundError}
 */
export async function getCamera(
  sql: postgres.Sql | postgres.TransactionSql,
  id: string,
): Promise<Camera> {
  const [row] = await sql<CameraRow[]>`select * from cameras where id = ${id}`;
  if (!row) throw new NotFoundError(`camera ${id}`);
  return toCamera(row);
}

/**
 * Reads one camera and locks its row until the transaction ends (a check and the write it
 * guards, with no change of another request in between).
 *
 * @throws {NotFoundError}
 */
export async function lockCamera(tx: postgres.TransactionSql, id: string): Promise<Camera> {
  const [row] = await tx<CameraRow[]>`select * from cameras where id = ${id} for update`;
  if (!row) throw new NotFoundError(`camera ${id}`);
  return toCamera(row);
}

/**
 * Reads the sealed password of a camera (for building its source URL, never for the API).
 *
 * @returns the sealed password or undefined
 */
export async function getSealedPassword(
  sql: postgres.Sql,
  id: string,
): Promise<string | undefined> {
  const [row] = await sql<{ password_encrypted: string | null }[]>`
    select password_encrypted from cameras where id = ${id}`;
  return row?.password_encrypted ?? undefined;
}

/**
 * Changes a camera's fields.
 *
 * @throws {NotFoundError}
 * @throws {ConflictError} when the new name is taken
 * @throws {UnknownBoxError} when `pinBox` names no registered box
 */
export async function updateCamera(
  sql: postgres.Sql | postgres.TransactionSql,
  id: string,
  changes: CameraChanges,
): Promise<Camera> {
  const columns: Record<string, string | null> = {};
  if (changes.name !== undefined) columns.name = changes.name;
  if (changes.sourceUrl !== undefined) columns.source_url = changes.sourceUrl;
  if (changes.recordUrl !== undefined) columns.record_url = changes.recordUrl;
  if (changes.analysisUrl !== undefined) columns.analysis_url = changes.analysisUrl;
  if (changes.username !== undefined) columns.username = changes.username;
  if (changes.passwordSealed !== undefined) columns.password_encrypted = changes.passwordSealed;
  if (changes.transport !== undefined) columns.transport = changes.transport;
  if (changes.pinBox !== undefined) columns.pin_box = changes.pinBox;
  try {
    const [row] = Object.keys(columns).length === 0
      ? await sql<CameraRow[]>`select * from cameras where id = ${id}`
      : await sql<CameraRow[]>`
          update cameras set ${sql(columns)}, updated_at = now()
          where id = ${id} returning *`;
    if (!row) throw new NotFoundError(`camera ${id}`);
    return toCamera(row);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError(`a camera named ${JSON.stringify(changes.name)} exists already`);
    }
    if (isForeignKeyViolation(error) && changes.pinBox) throw new UnknownBoxError(changes.pinBox);
    throw error;
  }
}

/**
 * Merges `patch` into the camera's desired state.
 *
 * @throws {NotFoundError}
 */
export async function updateDesired(
  sql: postgres.Sql,
  id: string,
  patch: DesiredState,
): Promise<DesiredState> {
  const [row] = await sql<{ desired: DesiredState }[]>`
    update cameras set desired = desired || ${sql.json(patch as postgres.JSONValue)},
                       updated_at = now()
    where id = ${id} returning desired`;
  if (!row) throw new NotFoundError(`camera ${id}`);
  return row.desired;
}

/**
 * Deletes a camera.
 *
 * @throws {NotFoundError}
 */
export async function deleteCamera(sql: postgres.Sql, id: string): Promise<void> {
  const rows = await sql`delete from cameras where id = ${id} returning id`;
  if (rows.length === 0) throw new NotFoundError(`camera ${id}`);
}

/**
 * Replaces a camera's source URL and its ONVIF info (after re-onboarding at a new address) and
 * clears any suspected move; the credentials stay as they are. A configured analysis URL is the
 * same device's stream: it moves to the new host with it (read and written on the locked row, so
 * a change made while the move was being checked is moved, not undone), never stays behind with
 * the camera's credentials going to the old address.
 *
 * @param sql database
 * @param id camera id
 * @param source the new bare source URL and ONVIF info
 * @returns the updated camera
 * @throws {NotFoundError}
 */
export async function updateOnvifSource(
  sql: postgres.Sql,
  id: string,
  source: { sourceUrl: string; onvif: unknown },
): Promise<Camera> {
  return await sql.begin(async (tx) => {
    const [stored] = await tx<{ analysis_url: string | null }[]>`
      select analysis_url from cameras where id = ${id} for update`;
    if (!stored) throw new NotFoundError(`camera ${id}`);
    const analysis = stored.analysis_url === null
      ? null
      : movedToHost(stored.analysis_url, new URL(source.sourceUrl).hostname) ?? null;
    const [row] = await tx<CameraRow[]>`
      update cameras set source_url = ${source.sourceUrl},
                         onvif = ${tx.json(source.onvif as postgres.JSONValue)},
                         analysis_url = ${analysis},
                         suspected_move = null,
                         updated_at = now()
      where id = ${id} returning *`;
    return toCamera(row!);
  });
}

/**
 * Records (or, with `null`, clears) a move of the camera that was not followed.
 *
 * @param sql database
 * @param id camera id
 * @param move the claim and why it was refused, or null
 * @returns the updated camera
 * @throws {NotFoundError}
 */
export async function setSuspectedMove(
  sql: postgres.Sql,
  id: string,
  move: SuspectedMove | null,
): Promise<Camera> {
  const [row] = await sql<CameraRow[]>`
    update cameras
    set suspected_move = ${move === null ? null : sql.json(move as unknown as postgres.JSONValue)},
        updated_at = now()
    where id = ${id} returning *`;
  if (!row) throw new NotFoundError(`camera ${id}`);
  return toCamera(row);
}

/**
 * The cameras onboarded over ONVIF whose stored endpoint address (the WS-Discovery id) is one of
 * `endpointAddresses`.
 *
 * @param sql database
 * @param endpointAddresses `urn:uuid:...` addresses; empty → no rows
 * @returns the matching cameras
 */
export async function camerasByEndpoint(
  sql: postgres.Sql,
  endpointAddresses: string[],
): Promise<Camera[]> {
  if (endpointAddresses.length === 0) return [];
  const rows = await sql<CameraRow[]>`
    select * from cameras
    where onvif ->> 'endpointAddress' in ${sql(endpointAddresses)}
    order by id`;
  return rows.map(toCamera);
}
