/**
 * Locates the large test assets fetched by `scripts/fetch_assets.sh`; a missing one fails the test
 * with the command to run instead of skipping silently.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** `assets/` at the repository root. */
export const ASSETS_DIR = fileURLToPath(new URL("../../../assets/", import.meta.url));

/**
 * Returns the path of an asset, or throws if it has not been fetched.
 *
 * @param relative path under `assets/`, e.g. `media/chelsea.png`
 * @returns the absolute path
 * @throws {Error} "... missing: run scripts/fetch_assets.sh"
 */
export function asset(relative: string): string {
  const path = ASSETS_DIR + relative;
  try {
    if (Deno.statSync(path).size > 0) return path;
  } catch {
    // reported below
  }
  throw new Error(`test asset ${path} is missing: run scripts/fetch_assets.sh`);
}
