/**
 * A camera's data outside its row: detections (no cascading foreign key, see migration 002) and
 * its files in the data dir — event snapshots under `snapshots/<camera>/`. One place knows these
 * paths, so deleting a camera can remove all of it.
 *
 * @module
 */
import type postgres from "postgres";
import { join } from "node:path";
import { deleteCameraDetections } from "./detections.ts";

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
 * Removes everything a deleted camera left: its detections, then its snapshots.
 *
 * @param sql the database
 * @param dataDir Vigil's data dir
 * @param cameraId the deleted camera
 */
export async function purgeCameraData(
  sql: postgres.Sql,
  dataDir: string,
  cameraId: string,
): Promise<void> {
  await deleteCameraDetections(sql, cameraId);
  await removeIfThere(snapshotDir(dataDir, cameraId));
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
