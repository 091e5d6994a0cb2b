/**
 * Placement of cameras on boxes, as pure functions of one view of the shared database: which box
 * takes an orphan (a new camera, or one whose lease expired), and which one camera an overloaded
 * owner hands over this interval. Every box computes the same answer from the same view and acts
 * only on its own part of it; the conditional statements in models/store/leases.ts settle any race.
 * Why: docs/decisions/camera-leases.md.
 *
 * @module
 */

/** A box as placement sees it. */
export interface BoxLoad {
  id: string;
  /** Cameras it takes at most. */
  capacity: number;
  /** It heartbeated within the lease time. */
  up: boolean;
}

/** A camera and its lease as placement sees them. */
export interface CameraLease {
  id: string;
  /** The box the camera is pinned to, if any. */
  pin: string | null;
  /** The box holding the lease (expired or not), or null when it never had one. */
  owner: string | null;
  /** The lease epoch, or null when it never had one. */
  epoch: number | null;
  /** How long ago the lease expired (ms, from the database's clock); 0 while it holds. */
  expiredForMs: number;
  /** How long the lease still holds (ms; negative once expired, null without a lease). */
  expiresInMs?: number | null;
}

/** One camera going to one box. */
export interface Move {
  camera: string;
  to: string;
  /** The epoch the move is conditional on (null: the camera has no lease row yet). */
  epoch: number | null;
}

/** A camera without a live lease. */
export function isOrphan(camera: CameraLease): boolean {
  return camera.owner === null || camera.expiredForMs > 0;
}

/**
 * Counts each up box's cameras (live leases only).
 *
 * @param boxes the boxes
 * @param cameras the cameras
 * @returns box id → cameras it holds
 */
export function loads(boxes: readonly BoxLoad[], cameras: readonly CameraLease[]) {
  const owned = new Map(boxes.map((box) => [box.id, 0]));
  for (const camera of cameras) {
    if (camera.owner !== null && !isOrphan(camera) && owned.has(camera.owner)) {
      owned.set(camera.owner, owned.get(camera.owner)! + 1);
    }
  }
  return owned;
}

/**
 * Places orphans: each goes to its pinned box when that is up, else to the up box with the most
 * free capacity (then the fewest cameras, then the smallest id); none goes to a full box.
 *
 * @param boxes the boxes
 * @param cameras the cameras
 * @returns one move per orphan that has somewhere to go, in camera id order
 * @example
 * ```ts
 * placeOrphans([{ id: "a", capacity: 4, up: true }], [{ id: "c", pin: null, owner: null,
 *   epoch: null, expiredForMs: 0 }]); // [{ camera: "c", to: "a", epoch: null }]
 * ```
 */
export function placeOrphans(boxes: readonly BoxLoad[], cameras: readonly CameraLease[]): Move[] {
  const up = boxes.filter((box) => box.up);
  const owned = loads(up, cameras);
  const moves: Move[] = [];
  const orphans = cameras.filter(isOrphan).sort((a, b) => compare(a.id, b.id));
  for (const camera of orphans) {
    const pinned = camera.pin === null ? undefined : up.find((box) => box.id === camera.pin);
    const target = pinned ?? mostFree(up, owned);
    if (!target) continue;
    owned.set(target.id, owned.get(target.id)! + 1);
    moves.push({ camera: camera.id, to: target.id, epoch: camera.epoch });
  }
  return moves;
}

/**
 * The one camera `self` hands over this interval, if any: first a camera pinned to another up
 * box, else — when `self` holds at least two more cameras than the least loaded up box, which
 * has room — the camera with the highest id not pinned to `self`. The gap of two is what keeps
 * it from flapping: after a move the receiver never holds more than the giver.
 *
 * @param self this box
 * @param boxes the boxes
 * @param cameras the cameras
 * @returns the move, or undefined
 */
export function chooseHandover(
  self: string,
  boxes: readonly BoxLoad[],
  cameras: readonly CameraLease[],
): Move | undefined {
  const up = boxes.filter((box) => box.up);
  const mine = cameras
    .filter((camera) => camera.owner === self && !isOrphan(camera))
    .sort((a, b) => compare(b.id, a.id));
  const upIds = new Set(up.map((box) => box.id));
  const pinned = mine.find((camera) =>
    camera.pin !== null && camera.pin !== self && upIds.has(camera.pin)
  );
  if (pinned) return { camera: pinned.id, to: pinned.pin!, epoch: pinned.epoch };
  const owned = loads(up, cameras);
  const others = up.filter((box) => box.id !== self);
  const target = mostFree(others, owned);
  if (!target || owned.get(target.id)! + 2 > mine.length) return undefined;
  const camera = mine.find((camera) => camera.pin !== self);
  return camera ? { camera: camera.id, to: target.id, epoch: camera.epoch } : undefined;
}

/** The box with the most free capacity (then fewest cameras, then smallest id), or undefined. */
function mostFree(boxes: readonly BoxLoad[], owned: Map<string, number>): BoxLoad | undefined {
  let best: BoxLoad | undefined;
  for (const box of boxes) {
    const free = box.capacity - owned.get(box.id)!;
    if (free <= 0) continue;
    if (!best) {
      best = box;
      continue;
    }
    const bestFree = best.capacity - owned.get(best.id)!;
    const better = free !== bestFree
      ? free > bestFree
      : owned.get(box.id)! !== owned.get(best.id)!
      ? owned.get(box.id)! < owned.get(best.id)!
      : compare(box.id, best.id) < 0;
    if (better) best = box;
  }
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
