/**
 * What identifies this box to others: a stable box id, kept in the data dir, made at first use and
 * kept across restarts and upgrades. The dispatcher's answer names the owner of a camera by it,
 * so several boxes can share cameras later.
 *
 * @module
 */
import { join } from "node:path";
import { isUuid, uuidv7 } from "./ids.ts";

const BOX_ID_FILE = "box-id";

/**
 * Reads this box's id, creating it at first use.
 *
 * @param dataDir Vigil's data directory
 * @returns a UUID, the same on every start
 * @throws {Error} when the file holds something else than a UUID
 */
export async function loadBoxId(dataDir: string): Promise<string> {
  const path = join(dataDir, BOX_ID_FILE);
  try {
    const id = (await Deno.readTextFile(path)).trim();
    if (!isUuid(id)) throw new Error(`box: ${path} must hold a UUID`);
    return id.toLowerCase();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const id = uuidv7();
  // Written whole under another name, then linked into place: a start racing this one sees
  // either no file or the complete id, never an empty file.
  const draft = `${path}.${id}`;
  await Deno.writeTextFile(draft, id + "\n");
  try {
    await Deno.link(draft, path);
    return id;
  } catch (error) {
    // Another start made it in between: theirs is the box's id.
    if (error instanceof Deno.errors.AlreadyExists) return await loadBoxId(dataDir);
    throw error;
  } finally {
    await Deno.remove(draft);
  }
}
