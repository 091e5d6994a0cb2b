/**
 * Deleting a camera: stop its unit, delete its row (restoring supervision if that fails), then
 * purge its detections and files in the background.
 *
 * @module
 */
import type { Database } from "../../models/store/database.ts";
import {
  type Camera as CameraRow,
  deleteCamera as deleteCameraRow,
  getCamera,
} from "../../models/store/cameras.ts";
import { removeCameraFiles } from "../../models/store/camera_data.ts";
import { NotFoundError } from "../../models/errors.ts";
import type { Logger } from "../../models/log.ts";
import { deleteCameraDetections } from "../../models/store/detection_queries.ts";
import { removeFile } from "../recording/segment_files.ts";
import { cameraRecordIds } from "../../models/store/records.ts";
import { recordFile } from "../../models/recording/paths.ts";

/** What a deletion needs from the fleet: its database and data dir, and two of its operations. */
export interface DeleteContext {
  db: Database;
  dataDir: string;
  log: Logger;
  /**
   * Stops supervising a camera: its unit (actor, hub paths, writers) stops and is forgotten.
   * @returns false when the camera was not supervised
   */
  stopSupervising(id: string): Promise<boolean>;
  /** Supervises a camera again and restores its stored state. */
  resumeSupervising(row: CameraRow): Promise<void>;
}

/**
 * Deletes a camera (see `Fleet.delete`; the fleet shares one call among concurrent requests).
 *
 * @param context the fleet's database, data dir and supervision
 * @param id the camera
 * @throws {NotFoundError} when the camera does not exist
 */
export async function deleteCamera(context: DeleteContext, id: string): Promise<void> {
  const { db, dataDir, log } = context;
  const row = await getCamera(db.sql, id);
  // Its clips' rows go with the camera (cascade): their files are found by id first.
  const clips = await cameraRecordIds(db.sql, id);
  const supervised = await context.stopSupervising(id);
  try {
    await deleteCameraRow(db.sql, id);
  } catch (error) {
    // Deleted by another box sharing the database: what was asked is done.
    if (error instanceof NotFoundError) return;
    // The camera still exists: keep supervising it as it was.
    if (supervised) await context.resumeSupervising(row).catch(() => {});
    throw error;
  }
  // Detections have no cascading foreign key (see migration 002) and a camera may have
  // millions: they, and the camera's files, go in the background.
  (async () => {
    await deleteCameraDetections(db.sql, id);
    await removeCameraFiles(dataDir, id, log);
    for (const clip of clips) await removeFile(recordFile(dataDir, clip));
  })().catch((error) => {
    log.warn("purge of a deleted camera's data failed", { camera: id, error });
  });
}
