/**
 * Boxes and camera leases in the shared database (migration 010): the heartbeat with the renewal
 * of every lease a box holds (ONE statement per interval), the view placement reads (one more),
 * and the conditional statements that take, steal and hand over a lease. Every time is the
 * database's (`now()`), never a box's. Why: docs/decisions/camera-leases.md.
 *
 * @module
 */
import type postgres from "postgres";
import type { BoxLoad, CameraLease } from "../cluster/placement.ts";

/** What a box registers about itself. */
export interface BoxRecord {
  id: string;
  /** How the other boxes and clients reach it (`VIGIL_PUBLIC_URL`). */
  baseUrl: string;
  /** Its RTSP relay. */
  rtspUrl: string;
  /** Cameras it takes at most. */
  capacity: number;
  version: string;
}

/** A box as `GET /api/boxes` shows it. */
export interface BoxInfo extends BoxRecord {
  up: boolean;
  heartbeatAt: Date;
  startedAt: Date;
  /** Cameras it holds a live lease on. */
  cameras: string[];
}

/** The owner of a camera, when it has a live lease. */
export interface LeaseOwner {
  boxId: string;
  epoch: number;
  baseUrl: string;
  rtspUrl: string;
}

/** What one placement round reads. */
export interface ClusterView {
  boxes: (BoxLoad & { baseUrl: string })[];
  cameras: CameraLease[];
}

/**
 * Heartbeats and renews every lease the box holds, in one statement.
 *
 * @param sql the database
 * @param box this box
 * @param ttlMs how long the leases (and the heartbeat) hold from now
 * @returns camera id → epoch of every lease the box holds now
 */
export async function heartbeat(
  sql: postgres.Sql,
  box: BoxRecord,
  ttlMs: number,
): Promise<Map<string, number>> {
  const rows = await sql<{ cameraId: string; epoch: string }[]>`
    with beat as (
      insert into boxes (id, base_url, rtsp_url, capacity, version)
      values (${box.id}, ${box.baseUrl}, ${box.rtspUrl}, ${box.capacity}, ${box.version})
      on conflict (id) do update set heartbeat_at = now(), base_url = excluded.base_url,
        rtsp_url = excluded.rtsp_url, capacity = excluded.capacity, version = excluded.version
    )
    update leases set expires_at = now() + ${ttlMs} * interval '1 millisecond'
    where box_id = ${box.id}
    returning camera_id as "cameraId", epoch`;
  return new Map(rows.map((row) => [row.cameraId, Number(row.epoch)]));
}

/**
 * Reads the boxes and every camera's lease, in one statement.
 *
 * @param sql the database
 * @param ttlMs a box whose heartbeat is older than this is down
 * @returns the view
 */
export async function clusterView(sql: postgres.Sql, ttlMs: number): Promise<ClusterView> {
  const [row] = await sql<{ boxes: unknown; cameras: unknown }[]>`
    select
      (select coalesce(json_agg(json_build_object(
        'id', b.id, 'capacity', b.capacity, 'baseUrl', b.base_url,
        'up', b.heartbeat_at > now() - ${ttlMs} * interval '1 millisecond')), '[]')
       from boxes b) as boxes,
      (select coalesce(json_agg(json_build_object(
        'id', c.id, 'pin', c.pin_box, 'owner', l.box_id, 'epoch', l.epoch,
        'expiredForMs', greatest(0, extract(epoch from now() - l.expires_at) * 1000),
        'expiresInMs', extract(epoch from l.expires_at - now()) * 1000)), '[]')
       from cameras c left join leases l on l.camera_id = c.id) as cameras`;
  return {
    boxes: (row?.boxes ?? []) as ClusterView["boxes"],
    cameras: (row?.cameras ?? []) as CameraLease[],
  };
}

/**
 * Gives a camera to a box if the camera is still where the caller saw it: a camera without a
 * lease row gets epoch 1; an expired lease at the seen epoch is stolen with epoch + 1.
 *
 * @param sql the database
 * @param move camera, target box, the epoch seen (null: no lease row)
 * @param ttlMs how long the new lease holds
 * @returns the new epoch, or undefined when another box got there first
 */
export async function claimLease(
  sql: postgres.Sql,
  move: { camera: string; to: string; epoch: number | null },
  ttlMs: number,
): Promise<number | undefined> {
  const rows = move.epoch === null
    ? await sql<{ epoch: string }[]>`
      insert into leases (camera_id, box_id, epoch, expires_at)
      select ${move.camera}, ${move.to}, 1, now() + ${ttlMs} * interval '1 millisecond'
      where exists (select 1 from cameras where id = ${move.camera})
      on conflict (camera_id) do nothing
      returning epoch`
    : await sql<{ epoch: string }[]>`
      update leases set box_id = ${move.to}, epoch = epoch + 1, taken_at = now(),
        expires_at = now() + ${ttlMs} * interval '1 millisecond'
      where camera_id = ${move.camera} and epoch = ${move.epoch} and expires_at < now()
      returning epoch`;
  return rows[0] ? Number(rows[0].epoch) : undefined;
}

/**
 * Hands a camera this box holds to another box (rebalancing), with epoch + 1. The caller has
 * stopped the camera first.
 *
 * @param sql the database
 * @param from this box
 * @param move camera, target box, the epoch this box holds it at
 * @param ttlMs how long the new owner's lease holds before its first renewal
 * @returns whether the lease moved
 */
export async function handOverLease(
  sql: postgres.Sql,
  from: string,
  move: { camera: string; to: string; epoch: number | null },
  ttlMs: number,
): Promise<boolean> {
  const rows = await sql`
    update leases set box_id = ${move.to}, epoch = epoch + 1, taken_at = now(),
      expires_at = now() + ${ttlMs} * interval '1 millisecond'
    where camera_id = ${move.camera} and box_id = ${from} and epoch = ${move.epoch}
    returning epoch`;
  return rows.length > 0;
}

/**
 * The box holding a live lease on a camera.
 *
 * @param sql the database
 * @param cameraId the camera
 * @returns the owner, or undefined when nobody holds it now
 */
export async function leaseOwner(
  sql: postgres.Sql,
  cameraId: string,
): Promise<LeaseOwner | undefined> {
  const [row] = await sql<{ boxId: string; epoch: string; baseUrl: string; rtspUrl: string }[]>`
    select l.box_id as "boxId", l.epoch, b.base_url as "baseUrl", b.rtsp_url as "rtspUrl"
    from leases l join boxes b on b.id = l.box_id
    where l.camera_id = ${cameraId} and l.expires_at > now()`;
  return row && { ...row, epoch: Number(row.epoch) };
}

/**
 * Every box with its state and cameras.
 *
 * @param sql the database
 * @param ttlMs a box whose heartbeat is older than this is down
 * @returns the boxes, by id
 */
export async function listBoxes(sql: postgres.Sql, ttlMs: number): Promise<BoxInfo[]> {
  const rows = await sql<(Omit<BoxInfo, "cameras"> & { cameras: string[] | null })[]>`
    select b.id, b.base_url as "baseUrl", b.rtsp_url as "rtspUrl", b.capacity, b.version,
      b.started_at as "startedAt", b.heartbeat_at as "heartbeatAt",
      b.heartbeat_at > now() - ${ttlMs} * interval '1 millisecond' as up,
      array(select l.camera_id from leases l
            where l.box_id = b.id and l.expires_at > now() order by l.camera_id) as cameras
    from boxes b order by b.id`;
  return rows.map((row) => ({ ...row, cameras: row.cameras ?? [] }));
}

/**
 * How many other boxes heartbeat in the database now (a box without `VIGIL_PUBLIC_URL` must be
 * alone: the others could not reach it).
 *
 * @param sql the database
 * @param boxId this box
 * @param ttlMs a box whose heartbeat is older than this is down
 * @returns the number of other boxes up
 */
export async function otherBoxesUp(
  sql: postgres.Sql,
  boxId: string,
  ttlMs: number,
): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from boxes
    where id <> ${boxId} and heartbeat_at > now() - ${ttlMs} * interval '1 millisecond'`;
  return row?.n ?? 0;
}

/**
 * The URLs boxes registered (`VIGIL_PUBLIC_URL`), up or not.
 *
 * @param sql the database
 * @param ids box ids
 * @returns box id → base URL, for the boxes that registered
 */
export async function boxBaseUrls(sql: postgres.Sql, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: string; baseUrl: string }[]>`
    select id, base_url as "baseUrl" from boxes where id in ${sql(ids)}`;
  return new Map(rows.map((row) => [row.id, row.baseUrl]));
}
