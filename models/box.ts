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
const PID_FILE = "vigil.pid";

/** Vigil's version, as a box registers it for the others (`GET /api/boxes`). */
export const VIGIL_VERSION = "0.22.0";

/**
 * Claims the data dir for this process: two Vigils on one data dir would be one box id twice
 * (and two writers of one embedded database). The claim is an exclusive OS lock (flock) on
 * `vigil.pid`, held as long as the file stays open: the kernel drops it when the process ends, so
 * a crash or SIGKILL leaves nothing to take over, and two starts can never both hold it (a file's
 * content, read between another start's create and write, could not tell them apart). The pid in
 * the file is for people only; the file itself is never deleted (a start that opened it before a
 * delete would lock a file the next start no longer sees).
 *
 * @param dataDir Vigil's data directory
 * @returns a function that gives the data dir up (at shutdown)
 * @throws {Error} when another running Vigil holds it
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, PID_FILE);
  const file = await Deno.open(path, { create: true, write: true, read: true });
  try {
    if (!await file.tryLock(true)) {
      const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
      throw new Error(
        `box: another Vigil${holder ? ` (pid ${holder})` : ""} uses the data dir ${dataDir}; ` +
          "every box needs its own (its box id lives there)",
      );
    }
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch (error) {
    file.close();
    throw error;
  }
  let released = false;
  return () => {
    if (!released) {
      released = true;
      file.close();
    }
    return Promise.resolve();
  };
}

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
