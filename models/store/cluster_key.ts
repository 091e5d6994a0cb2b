/**
 * The cluster's shared key (migration 011): one random 32-byte key in the shared database, made by
 * the first box that starts and read by every other. Boxes sign the segment fetches they send each
 * other with it (models/cluster/segment_credential.ts). Why: docs/decisions/cluster-segment-fetch.md.
 *
 * @module
 */
import type postgres from "postgres";

/** Length of the key in bytes. */
export const CLUSTER_KEY_BYTES = 32;

/**
 * The cluster's key, made now when no box made it yet (two boxes racing both read the winner's).
 *
 * @param sql the database
 * @returns the key
 * @throws {Error} when the stored key has the wrong length
 */
export async function loadClusterKey(sql: postgres.Sql): Promise<Uint8Array> {
  const fresh = crypto.getRandomValues(new Uint8Array(CLUSTER_KEY_BYTES));
  await sql`
    insert into cluster_key (key) values (decode(${fresh.toHex()}, 'hex')) on conflict do nothing`;
  const [row] = await sql<{ hex: string }[]>`select encode(key, 'hex') as hex from cluster_key`;
  const key = row ? Uint8Array.fromHex(row.hex) : undefined;
  if (!key || key.length !== CLUSTER_KEY_BYTES) {
    throw new Error(`cluster: the stored key must hold ${CLUSTER_KEY_BYTES} bytes`);
  }
  return key;
}
