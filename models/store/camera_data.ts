/**
 * A camera's files in the data dir: event snapshots under `snapshots/<camera>/<event>.jpg`, the
 * writers' spill files under `spill/<table>/<camera>.jsonl`, and its recorded segments under
 * `recordings/<camera>/` (models/recording/paths.ts). One place knows these paths, so that
 * deleting a camera, expiring its events, or finding the leftovers of cameras that no longer
 * exist can remove all of it (the data dir must not grow without bound).
 *
 * Only names that are UUIDs are ever removed: nothing else in the data dir is a camera's.
 *
 * @module
 */
import { join } from "node:path";
import { isUuid } from "../ids.ts";
import type { Logger } from "../log.ts";
import { cameraRecordingsDir, recordingsRoot } from "../recording/paths.ts";

const SNAPSHOT_FILE = /^([0-9a-f-]{36})\.jpg$/;
const SPILL_FILE = /^([0-9a-f-]{36})\.jsonl$/;

/**
 * Where a camera's event snapshots are.
 *
 * @param dataDir Vigil's data dir
 * @param cameraId the camera (a UUID, checked by the caller)
 * @returns `<dataDir>/snapshots/<camera>`
 */
export function snapshotDir(dataDir: string, cameraId: string): string {
  return join(dataDir, "snapshots", cameraId);
}

/**
 * Where a writer spills the rows of one table it could not write.
 *
 * @param dataDir Vigil's data dir
 * @param table the table
 * @param name whose rows (the camera id)
 * @returns `<dataDir>/spill/<table>/<name>.jsonl`
 */
export function spillPath(dataDir: string, table: string, name: string): string {
  return join(dataDir, "spill", table, `${name}.jsonl`);
}

/**
 * Removes a deleted camera's files: its snapshots, its recordings (their rows went with the
 * camera) and its spill files (rows that could not be written any more: the camera is gone).
 *
 * @param dataDir Vigil's data dir
 * @param cameraId the deleted camera
 * @param log where the removal of unwritten rows is reported
 */
export async function removeCameraFiles(
  dataDir: string,
  cameraId: string,
  log: Logger,
): Promise<void> {
  if (!isUuid(cameraId)) return;
  await removeIfThere(snapshotDir(dataDir, cameraId));
  await removeIfThere(cameraRecordingsDir(dataDir, cameraId));
  for (const table of await listDir(join(dataDir, "spill"))) {
    const path = spillPath(dataDir, table, cameraId);
    const bytes = await sizeOf(path);
    if (bytes === undefined) continue;
    await removeIfThere(path);
    log.warn("unwritten rows of a deleted camera removed", { camera: cameraId, path, bytes });
  }
}

/**
 * Removes the snapshots, recordings and spill files of cameras that no longer exist (deleted
 * while the server was down, by another box sharing the database, or by a delete whose purge was
 * interrupted).
 *
 * @param dataDir Vigil's data dir
 * @param cameras ids of every existing camera
 * @param log where each removal is reported
 * @returns how many directories and files were removed
 */
export async function removeOrphanFiles(
  dataDir: string,
  cameras: ReadonlySet<string>,
  log: Logger,
): Promise<number> {
  let removed = 0;
  for (const name of await listDir(join(dataDir, "snapshots"))) {
    if (!isUuid(name) || cameras.has(name)) continue;
    await removeIfThere(snapshotDir(dataDir, name));
    log.info("snapshots of a camera that no longer exists removed", { camera: name });
    removed++;
  }
  for (const name of await listDir(recordingsRoot(dataDir))) {
    if (!isUuid(name) || cameras.has(name)) continue;
    await removeIfThere(cameraRecordingsDir(dataDir, name));
    log.info("recordings of a camera that no longer exists removed", { camera: name });
    removed++;
  }
  for (const table of await listDir(join(dataDir, "spill"))) {
    for (const file of await listDir(join(dataDir, "spill", table))) {
      const camera = SPILL_FILE.exec(file)?.[1];
      if (camera === undefined || !isUuid(camera) || cameras.has(camera)) continue;
      const path = spillPath(dataDir, table, camera);
      const bytes = await sizeOf(path);
      await removeIfThere(path);
      log.warn("unwritten rows of a camera that no longer exists removed", { path, bytes });
      removed++;
    }
  }
  return removed;
}

/** An event snapshot on disk. */
export interface SnapshotFile {
  cameraId: string;
  eventId: string;
  path: string;
}

/**
 * Lists snapshot files last written before `before` (for the retention sweep).
 *
 * @param dataDir Vigil's data dir
 * @param before only files whose modification time is older
 * @returns the files
 */
export async function snapshotsOlderThan(dataDir: string, before: Date): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  for (const cameraId of await listDir(join(dataDir, "snapshots"))) {
    if (!isUuid(cameraId)) continue;
    for (const name of await listDir(snapshotDir(dataDir, cameraId))) {
      const eventId = SNAPSHOT_FILE.exec(name)?.[1];
      if (eventId === undefined || !isUuid(eventId)) continue;
      const path = join(snapshotDir(dataDir, cameraId), name);
      const mtime = await Deno.stat(path).then((s) => s.mtime, () => null);
      if (mtime && mtime < before) files.push({ cameraId, eventId, path });
    }
  }
  return files;
}

/**
 * Removes the snapshots of deleted events.
 *
 * @param dataDir Vigil's data dir
 * @param events camera and snapshot file name (as stored in `events.snapshot_path`) of each
 * @returns how many files were removed
 */
export async function removeSnapshots(
  dataDir: string,
  events: readonly { cameraId: string; snapshot: string | null }[],
): Promise<number> {
  let removed = 0;
  for (const { cameraId, snapshot } of events) {
    // The name comes from the database: only ever a `<uuid>.jpg` inside the camera's own dir.
    if (snapshot === null || !isUuid(cameraId) || !SNAPSHOT_FILE.test(snapshot)) continue;
    if (await removeIfThere(join(snapshotDir(dataDir, cameraId), snapshot))) removed++;
  }
  return removed;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(path))).map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** @returns whether something was removed */
async function removeIfThere(path: string): Promise<boolean> {
  try {
    await Deno.remove(path, { recursive: true });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
