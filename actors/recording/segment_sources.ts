/**
 * Where a clip's segments are read from, on several boxes: a segment this box recorded is its own
 * file; a segment another box recorded is read at the same place when that file is here (the
 * recordings directory on shared storage: same stored path, same size), else fetched from the box
 * that recorded it (`GET /api/cluster/segments/{id}` at its registered URL, signed with the
 * cluster's key) into the clip's work directory. A segment no box could give is left out and
 * reported, so the clip is compiled from what is reachable and says which part is missing.
 * Why: docs/decisions/cluster-segment-fetch.md.
 *
 * @module
 */
import { join } from "node:path";
import type postgres from "postgres";
import { createLogger } from "../../models/log.ts";
import { segmentFile } from "../../models/recording/paths.ts";
import type { StoredSegment } from "../../models/store/segments.ts";
import type { MissingPart } from "../../models/store/records.ts";
import { boxBaseUrls } from "../../models/store/leases.ts";
import { signSegmentRequest } from "../../models/cluster/segment_credential.ts";

/** A fetch of one segment gives up after this long (a 10 s segment is a few MB on loopback/LAN). */
export const SEGMENT_FETCH_TIMEOUT_MS = 30_000;

/** What {@linkcode gatherSegments} needs. */
export interface SegmentSourceOptions {
  sql: postgres.Sql;
  dataDir: string;
  /** This box. */
  boxId: string;
  /** The cluster's key (models/store/cluster_key.ts). */
  clusterKey: Uint8Array;
  /** Where fetched files go (the clip's work directory). */
  workDir: string;
  /** Names the fetched files (the clip's id): `<prefix>-<segment>.mp4`. */
  prefix: string;
  signal: AbortSignal;
  /** Default {@linkcode SEGMENT_FETCH_TIMEOUT_MS}. */
  fetchTimeoutMs?: number;
}

/** A segment with the file to read it from. */
export type ReadableSegment = StoredSegment & { file: string };

/** What gathering found. */
export interface GatheredSegments {
  /** In the order given (oldest first). */
  readable: ReadableSegment[];
  /** Files fetched into the work directory: the caller removes them. */
  fetched: string[];
  /** Segments left out. */
  missing: MissingPart[];
  /** How many segments came from each other box over HTTP. */
  fetchedFrom: Record<string, number>;
}

const log = createLogger("compiler");

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return undefined;
  }
}

/**
 * Finds a readable file for each segment: here, on shared storage, or fetched from its box.
 *
 * @param segments the clip's segments, oldest first
 * @param options database, this box, the key, the work directory
 * @returns the readable segments, the fetched files and the parts left out
 * @throws {Error} "cancelled" when the signal aborts
 */
export async function gatherSegments(
  segments: readonly StoredSegment[],
  options: SegmentSourceOptions,
): Promise<GatheredSegments> {
  const result: GatheredSegments = { readable: [], fetched: [], missing: [], fetchedFrom: {} };
  const others = [
    ...new Set(segments.flatMap((s) => s.boxId && s.boxId !== options.boxId ? [s.boxId] : [])),
  ];
  const urls = await boxBaseUrls(options.sql, others);
  try {
    await gatherInto(result, segments, urls, options);
  } catch (error) {
    for (const file of result.fetched) await Deno.remove(file).catch(() => {});
    throw error;
  }
  return result;
}

async function gatherInto(
  result: GatheredSegments,
  segments: readonly StoredSegment[],
  urls: Map<string, string>,
  options: SegmentSourceOptions,
): Promise<void> {
  // A box that did not answer (down, hung) is not asked again for this clip: each of its
  // segments would cost another timeout, and a 10-minute clip may hold hundreds.
  const unreachable = new Map<string, string>();
  for (const segment of segments) {
    if (options.signal.aborted) throw new Error("cancelled");
    const local = segmentFile(options.dataDir, segment.path);
    const size = await sizeOf(local);
    const mine = segment.boxId === null || segment.boxId === options.boxId;
    // Another box's file at the same stored path is the same file only with the same size.
    if (size !== undefined && (mine || size === segment.bytes)) {
      result.readable.push({ ...segment, file: local });
      continue;
    }
    const leaveOut = (reason: string) =>
      result.missing.push({
        from: segment.startedAt,
        to: segment.endedAt,
        box: segment.boxId,
        reason,
      });
    if (mine) {
      leaveOut("the file is gone from this box");
      continue;
    }
    const baseUrl = urls.get(segment.boxId!);
    if (!baseUrl) {
      leaveOut("the box that recorded it is not registered");
      continue;
    }
    const silent = unreachable.get(segment.boxId!);
    if (silent) {
      leaveOut(silent);
      continue;
    }
    const file = join(options.workDir, `${options.prefix}-${segment.id}.mp4`);
    const outcome = await fetchSegment(baseUrl, segment, file, options);
    if (outcome) {
      const failure = outcome.reason;
      await Deno.remove(file).catch(() => {});
      if (options.signal.aborted) throw new Error("cancelled");
      if (outcome.unreachable) unreachable.set(segment.boxId!, failure);
      log.warn("a segment of another box could not be fetched", {
        segment: segment.id,
        box: segment.boxId,
        reason: failure,
      });
      leaveOut(failure);
      continue;
    }
    result.fetched.push(file);
    result.readable.push({ ...segment, file });
    result.fetchedFrom[segment.boxId!] = (result.fetchedFrom[segment.boxId!] ?? 0) + 1;
  }
}

/**
 * Fetches one segment into `file`; returns why it failed (`unreachable`: the box did not answer
 * at all), or undefined.
 */
async function fetchSegment(
  baseUrl: string,
  segment: StoredSegment,
  file: string,
  options: SegmentSourceOptions,
): Promise<{ reason: string; unreachable: boolean } | undefined> {
  const authorization = signSegmentRequest(options.clusterKey, {
    segmentId: segment.id,
    boxId: options.boxId,
    nowMs: Date.now(),
  });
  const signal = AbortSignal.any([
    options.signal,
    AbortSignal.timeout(options.fetchTimeoutMs ?? SEGMENT_FETCH_TIMEOUT_MS),
  ]);
  try {
    const response = await fetch(`${baseUrl}/api/cluster/segments/${segment.id}`, {
      headers: { authorization },
      signal,
      redirect: "manual",
    });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      return { reason: `box ${segment.boxId} answered ${response.status}`, unreachable: false };
    }
    const out = await Deno.open(file, { write: true, create: true, truncate: true });
    const capped = capBytes(segment.bytes);
    try {
      await response.body.pipeThrough(capped.stream).pipeTo(out.writable, { signal });
    } catch (error) {
      if (!capped.exceeded()) throw error;
      await Deno.remove(file).catch(() => {});
      return {
        reason: `box ${segment.boxId} sent more than the ${segment.bytes} bytes stored`,
        unreachable: false,
      };
    }
    const size = await sizeOf(file);
    if (size !== segment.bytes) {
      return {
        reason: `box ${segment.boxId} sent ${size ?? 0} of ${segment.bytes} bytes`,
        unreachable: false,
      };
    }
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { reason: `box ${segment.boxId} did not answer: ${message}`, unreachable: true };
  }
}

/**
 * Passes at most `limit` bytes and fails the stream past them: a box sending more than a
 * segment's stored size (broken or hostile) must not fill this box's disk.
 */
function capBytes(limit: number) {
  let received = 0;
  let exceeded = false;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > limit) {
        exceeded = true;
        controller.error(new Error(`more than ${limit} bytes`));
      } else controller.enqueue(chunk);
    },
  });
  return { stream, exceeded: () => exceeded };
}
