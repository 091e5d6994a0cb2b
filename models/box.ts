/**
 * What identifies this box to others: a stable box id (the dispatcher's answer names the owner of
 * a camera by it, so several boxes can share cameras later) and the key that signs live URLs for
 * players that cannot send a token. Both live in the data dir, made at first use, kept across
 * restarts and upgrades.
 *
 * @module
 */
import { join } from "node:path";
import { isUuid, uuidv7 } from "./ids.ts";

const BOX_ID_FILE = "box-id";
const URL_KEY_FILE = "url.key";

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
  try {
    await Deno.writeTextFile(path, id + "\n", { createNew: true });
    return id;
  } catch (error) {
    // Another process made it in between: theirs is the box's id.
    if (error instanceof Deno.errors.AlreadyExists) return await loadBoxId(dataDir);
    throw error;
  }
}

/**
 * Reads the key that signs live URLs, creating it (32 random bytes, mode 0600) at first use.
 *
 * @param dataDir Vigil's data directory
 * @returns the key
 * @throws {Error} when the file does not hold 32 bytes
 */
export async function loadUrlKey(dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, URL_KEY_FILE);
  try {
    const key = await Deno.readFile(path);
    if (key.length !== 32) throw new Error(`box: ${path} must hold 32 bytes`);
    return key;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  try {
    await Deno.writeFile(path, key, { mode: 0o600, createNew: true });
    return key;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return await loadUrlKey(dataDir);
    throw error;
  }
}
