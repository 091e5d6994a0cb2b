/**
 * The cluster coordinator: several boxes on one PostgreSQL. Every `intervalMs` it heartbeats and
 * renews this box's leases in one statement, reads the view in another, claims the orphans
 * placement gives this box, hands over at most one camera when overloaded, and brings the fleet in
 * line: a camera whose lease was lost stops at once (capture, analysis, recording, live sessions),
 * a camera gained starts from its stored desired state. If no renewal succeeds while other boxes
 * are up (the database unreachable, this box paused), a local timer stops every camera just before
 * the leases may expire, by this box's own monotonic clock; a box alone keeps going and spills.
 * Why and how: docs/decisions/camera-leases.md.
 *
 * @module
 */
import type postgres from "postgres";
import { createLogger } from "../../models/log.ts";
import { chooseHandover, type Move, placeOrphans } from "../../models/cluster/placement.ts";
import {
  type BoxRecord,
  claimLease,
  clusterView,
  handOverLease,
  heartbeat,
} from "../../models/store/leases.ts";
import type { Camera as CameraRow } from "../../models/store/cameras.ts";
import { withTimeout } from "../../models/timeout.ts";
import { UnavailableError } from "../../models/errors.ts";

/** How long a lease (and a heartbeat) holds: a dead box's cameras move after at most this. */
export const LEASE_TTL_MS = 8_000;
/** How often a box renews: four chances before its leases expire. */
export const RENEW_INTERVAL_MS = 2_000;
/** How long after another box's lease expires this box looks again. */
const EXPIRY_MARGIN_MS = 100;
/**
 * How long before its leases may expire a box that could not renew stops its cameras: the stop
 * (ffmpeg told to quit, sessions ended) lands before another box can take them.
 */
export const EXPIRY_STOP_MARGIN_MS = 1_000;
/** An orphan no box claimed for this long is claimed by any box with room. */
const CLAIM_GRACE_MS = 2 * RENEW_INTERVAL_MS;

/** What the coordinator drives. */
export interface CoordinatedFleet {
  adopt(id: string, epoch: number): Promise<void>;
  release(id: string): Promise<void>;
  owned(): Map<string, number | undefined>;
}

/** What {@linkcode Coordinator} needs. */
export interface CoordinatorOptions {
  sql: postgres.Sql;
  box: BoxRecord;
  /** Ends a camera's live sessions when its lease is lost. */
  endLive(cameraId: string): Promise<void>;
  ttlMs?: number;
  intervalMs?: number;
}

const log = createLogger("cluster");

/**
 * Holds this box's leases and keeps the fleet in line with them.
 *
 * @example
 * ```ts
 * const coordinator = new Coordinator({ sql, box, endLive });
 * await fleet.start(await coordinator.join());
 * coordinator.run(fleet);
 * ```
 */
export class Coordinator {
  readonly #options: CoordinatorOptions;
  readonly #ttlMs: number;
  readonly #intervalMs: number;
  #fleet: CoordinatedFleet | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Fires just before the leases may expire, unless a renewal succeeds first. */
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** When (monotonic ms) the last successful renewal was sent. */
  #renewedAt = performance.now();
  /** Cameras this box took from an expired lease: their old owner stopped long ago. */
  readonly #stolen = new Set<string>();
  /** When (ms from now) another box's lease expires first, to claim it without waiting. */
  #nextExpiryMs = Infinity;
  /** Cameras starting or stopping, each a chain of its transitions. */
  readonly #transitions = new Map<string, Promise<void>>();
  /** Whether the last view showed another box up (one that could take cameras over). */
  #othersUp = false;
  /** Statements sent, for the lease-overhead benchmark. */
  statements = 0;

  /** @param options the database, this box, and the live sessions' end */
  constructor(options: CoordinatorOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    this.#intervalMs = options.intervalMs ?? RENEW_INTERVAL_MS;
  }

  /** This box's id. */
  get boxId(): string {
    return this.#options.box.id;
  }

  /** How long leases hold (a box is down after this long without a heartbeat). */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * Registers the box, renews what it still holds (a quick restart keeps its cameras) and claims
   * its share of the orphans, before the fleet starts.
   *
   * @returns camera id → epoch of every lease this box holds
   */
  async join(): Promise<Map<string, number>> {
    const mine = await this.#renew();
    await this.#claim(mine);
    log.info("joined the cluster", { box: this.boxId, cameras: mine.size });
    return mine;
  }

  /**
   * Starts the interval.
   *
   * @param fleet the fleet it adopts cameras into and releases them from
   */
  run(fleet: CoordinatedFleet): void {
    this.#fleet = fleet;
    this.#schedule();
  }

  /** Runs a round now (a lease refused by the database, a camera asked of this box). */
  sync(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    clearTimeout(this.#timer);
    this.#ticking = this.#tick().finally(() => {
      this.#ticking = undefined;
      if (this.#again) {
        this.#again = false;
        void this.sync();
      } else this.#schedule();
    });
    return this.#ticking;
  }

  /**
   * Places a camera just created: claims it for the box placement picks (this one or another).
   *
   * @param row the camera
   * @returns the epoch when this box took it, else undefined
   */
  async place(row: CameraRow): Promise<number | undefined> {
    const view = await clusterView(this.#options.sql, this.#ttlMs);
    const move = placeOrphans(view.boxes, view.cameras).find((m) => m.camera === row.id);
    const to = move?.to ?? this.boxId;
    const epoch = await claimLease(
      this.#options.sql,
      { camera: row.id, to, epoch: null },
      this.#ttlMs,
    );
    log.info("camera placed", { camera: row.id, box: to });
    return to === this.boxId ? epoch : undefined;
  }

  /** Stops the interval. The leases stay: a restart within their time keeps the cameras. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#expiryTimer);
    await this.#ticking;
    await Promise.all(this.#transitions.values());
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    // A lease of another box about to expire is claimed right after it does, not up to an
    // interval later: that interval is a fifth of the failover time.
    const wake = Math.min(this.#intervalMs, this.#nextExpiryMs + EXPIRY_MARGIN_MS);
    this.#nextExpiryMs = Infinity;
    this.#timer = setTimeout(() => void this.sync(), wake);
  }

  async #renew(): Promise<Map<string, number>> {
    const sentAt = performance.now();
    this.statements++;
    // A hung database must not hang the round: the guard in #tick has to run.
    const mine = await withTimeout(
      heartbeat(this.#options.sql, this.#options.box, this.#ttlMs),
      this.#ttlMs / 2,
      () => new UnavailableError("cluster: the heartbeat got no answer in time"),
    );
    this.#renewedAt = sentAt;
    this.#armExpiry(sentAt);
    return mine;
  }

  /**
   * Arms the timer that stops every camera just before the leases renewed at `sentAt` may expire
   * (measured from when the renewal was sent, so never later than the database's expiry). The
   * next successful renewal re-arms it; a box that cannot renew, or one paused past it (the timer
   * fires at once on waking), stops its cameras at the lease's end instead of at its next round.
   */
  #armExpiry(sentAt: number): void {
    clearTimeout(this.#expiryTimer);
    if (this.#stopped) return;
    const delay = sentAt + this.#ttlMs - EXPIRY_STOP_MARGIN_MS - performance.now();
    this.#expiryTimer = setTimeout(() => this.#leasesExpiring(), Math.max(0, delay));
  }

  /** No renewal succeeded in time: the leases may be another box's soon. */
  #leasesExpiring(): void {
    const fleet = this.#fleet;
    if (!fleet || this.#stopped) return;
    const silentMs = Math.round(performance.now() - this.#renewedAt);
    // A box that was alone keeps going (spilling rows): nobody can take its cameras without the
    // database, and if one does, the fence refuses what this box then writes.
    if (!this.#othersUp) {
      log.warn("leases not renewed; alone in the cluster, so the cameras keep running", {
        silentMs,
      });
      return;
    }
    const cameras = new Set([...fleet.owned().keys(), ...this.#transitions.keys()]);
    log.warn("leases not renewed before their expiry: stopping every camera", {
      silentMs,
      cameras: cameras.size,
    });
    // After a start in progress, not instead of it: the camera must end up stopped.
    for (const id of cameras) {
      this.#transition(id, () => this.#stopCamera(id, "leases not renewed in time"));
    }
  }

  /** Claims the orphans placement gives this box (or any, once unclaimed past the grace). */
  async #claim(mine: Map<string, number>): Promise<void> {
    const { sql } = this.#options;
    this.statements++;
    const view = await withTimeout(
      clusterView(sql, this.#ttlMs),
      this.#ttlMs / 2,
      () => new UnavailableError("cluster: the view got no answer in time"),
    );
    this.#othersUp = view.boxes.some((box) => box.up && box.id !== this.boxId);
    this.#nextExpiryMs = Math.min(
      Infinity,
      ...view.cameras
        .filter((c) => c.owner !== this.boxId && (c.expiresInMs ?? 0) > 0)
        .map((c) => c.expiresInMs!),
    );
    const moves = placeOrphans(view.boxes, view.cameras);
    const stale = new Set(
      view.cameras.filter((c) => c.expiredForMs > CLAIM_GRACE_MS).map((c) => c.id),
    );
    for (const move of moves) {
      if (move.to !== this.boxId && !stale.has(move.camera)) continue;
      this.statements++;
      const epoch = await claimLease(sql, { ...move, to: this.boxId }, this.#ttlMs);
      if (epoch === undefined) continue;
      mine.set(move.camera, epoch);
      if (move.epoch !== null) this.#stolen.add(move.camera);
    }
    const handover = chooseHandover(this.boxId, view.boxes, view.cameras);
    const settledCamera = handover && !this.#transitions.has(handover.camera);
    if (handover && settledCamera && this.#fleet && mine.get(handover.camera) === handover.epoch) {
      this.#handOver(handover);
      mine.delete(handover.camera);
    }
  }

  /** Hands a camera over in the background: stopped first (rows flushed under the old epoch). */
  #handOver(move: Move): void {
    this.#transition(move.camera, async () => {
      await this.#stopCamera(move.camera, "rebalanced to another box");
      this.statements++;
      const moved = await handOverLease(this.#options.sql, this.boxId, move, this.#ttlMs);
      log.info("camera handed over", { camera: move.camera, to: move.to, moved });
    });
  }

  /**
   * Runs a camera's start or stop in the background, after the one before it: a slow camera
   * (an ffmpeg taking seconds to stop, a loaded box) never holds up the renewals.
   */
  #transition(id: string, work: () => Promise<void>): void {
    const previous = this.#transitions.get(id) ?? Promise.resolve();
    const next = previous.then(work).catch((error) => {
      log.error("a camera did not start or stop cleanly", { camera: id, error });
    }).finally(() => {
      if (this.#transitions.get(id) === next) this.#transitions.delete(id);
    });
    this.#transitions.set(id, next);
  }

  /**
   * Resolves once the camera's start or stop in progress (if any) is done.
   *
   * @param id the camera
   */
  settled(id: string): Promise<void> {
    return this.#transitions.get(id) ?? Promise.resolve();
  }

  async #stopCamera(id: string, reason: string): Promise<void> {
    await Promise.all([
      this.#fleet?.release(id),
      this.#options.endLive(id).catch((error) =>
        log.warn("ending live sessions failed", { error })
      ),
    ]);
    log.info("camera released", { camera: id, reason });
  }

  async #startCamera(id: string, epoch: number): Promise<void> {
    // A camera handed over starts on the next whole second, so no second of it holds rows from
    // two boxes (the old owner stopped just before the lease moved). One taken from an expired
    // lease needs no wait: its owner has been silent for the whole lease time.
    if (!this.#stolen.delete(id)) {
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    }
    await this.#fleet?.adopt(id, epoch);
    log.info("camera adopted", { camera: id, epoch });
  }

  async #tick(): Promise<void> {
    const fleet = this.#fleet;
    if (!fleet || this.#stopped) return;
    let mine: Map<string, number>;
    try {
      mine = await this.#renew();
      await this.#claim(mine);
    } catch (error) {
      // The expiry timer armed by the last renewal stops the cameras if none succeeds in time.
      log.warn("lease renewal failed", { error, silentMs: performance.now() - this.#renewedAt });
      return;
    }
    const owned = fleet.owned();
    for (const [id, epoch] of owned) {
      if (mine.get(id) === epoch || this.#transitions.has(id)) continue;
      this.#transition(id, () => this.#stopCamera(id, "lease lost"));
    }
    for (const [id, epoch] of mine) {
      if (owned.get(id) === epoch || this.#transitions.has(id)) continue;
      this.#transition(id, () => this.#startCamera(id, epoch));
    }
  }
}
