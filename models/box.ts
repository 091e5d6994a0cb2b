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
 * (and two writers of one embedded database). A pid file left by a process that is gone (a crash,
 * SIGKILL) is taken over.
 *
 * @param dataDir Vigil's data directory
 * @returns a function that gives the data dir up (at shutdown)
 * @throws {Error} when another running Vigil holds it
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, PID_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, `${Deno.pid}\n`, { createNew: true });
      return () => Deno.remove(path).catch(() => {});
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = Number((await Deno.readTextFile(path).catch(() => "")).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== Deno.pid && await isVigil(holder)) {
      throw new Error(
        `box: another Vigil (pid ${holder}) uses the data dir ${dataDir}; ` +
          "every box needs its own (its box id lives there)",
      );
    }
    await Deno.remove(path).catch(() => {});
  }
  throw new Error(`box: could not claim the data dir ${dataDir}`);
}

/** Whether a process runs and is a Deno process (pids of crashed Vigils get reused). */
async function isVigil(pid: number): Promise<boolean> {
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return cmdline.includes("deno");
  } catch {
    return false;
  }
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
