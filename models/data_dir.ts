/**
 * Vigil's data directory holds the secret key, the admin token, the embedded database and its
 * socket, spill files and snapshots: nobody else on the box has business there. It is made 0700,
 * and one found open to others (made by an older version, or by hand) is closed at start.
 *
 * @module
 */

/**
 * Creates the data dir (0700), or closes an existing one of ours to group and others.
 *
 * @param path the data dir
 * @returns whether an existing directory had to be closed
 * @throws {Deno.errors.PermissionDenied} and the like when it cannot be made
 * @example
 * ```ts
 * if (await preparePrivateDir("./data")) log.warn("data dir was open to other users; closed");
 * ```
 */
export async function preparePrivateDir(path: string): Promise<boolean> {
  await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  const info = await Deno.stat(path);
  // Someone else's directory is theirs to configure (a shared mount managed by root, say).
  if (info.uid !== Deno.uid() || ((info.mode ?? 0) & 0o077) === 0) return false;
  await Deno.chmod(path, 0o700);
  return true;
}
