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
import type { Unit } from "./camera_unit.ts";

/** What a deletion needs from the fleet. */
export interface DeleteContext {
  db: Database;
  dataDir: string;
  log: Logger;
  /** The supervised cameras. */
  units: Map<string, Unit>;
  /** Stops a unit (actor, hub paths, writers). */
  stopUnit: (unit: Unit) => Promise<void>;
  /** Supervises a camera again and restores its state. */
  add: (row: CameraRow) => Promise<void>;
}

/**
 * Deletes a camera (see `Fleet.delete`; the fleet shares one call among concurrent requests).
 *
 * @param context the fleet's database, data dir, units and unit lifecycle
 * @param id the camera
 * @throws {NotFoundError} when the camera does not exist
 */
export async function deleteCamera(context: DeleteContext, id: string): Promise<void> {
  const { db, dataDir, log, units, stopUnit, add } = context;
  const row = await getCamera(db.sql, id);
  // Its clips' rows go with the camera (cascade): their files are found by id first.
  const clips = await cameraRecordIds(db.sql, id);
  const unit = units.get(id);
  if (unit) {
    units.delete(id);
    await stopUnit(unit);
  }
  try {
    await deleteCameraRow(db.sql, id);
  } catch (error) {
    // Deleted by another box sharing the database: what was asked is done.
    if (error instanceof NotFoundError) return;
    // The camera still exists: keep supervising it as it was.
    if (unit) await add(row).catch(() => {});
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
