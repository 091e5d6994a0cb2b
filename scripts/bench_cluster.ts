/**
 * Benchmarks of several boxes on one PostgreSQL (issue 22), on a throwaway PostgreSQL 15:
 *
 * - `lease-fence`: detections insert rate through the writer's statement (unnest of 500 rows)
 *   with the lease fence (`where (select vigil_fence(...))`) against the same statement without
 *   it, alternating, median of the rounds. Goal ≥ 0.9: the fence is one check per statement.
 * - `lease-overhead`: statements per second one box sends to hold 50 cameras (heartbeat + view
 *   per interval), counted by the real coordinator over a window.
 * - `failover`: scripts/bench_failover.ts (real processes).
 * - `partitions-insert` / `partitions-count`: the day-partitioned `detections` against an
 *   unpartitioned copy with the same indexes: insert rate of a day of rows (unnest of 500), and a
 *   24 h count per label in 5-minute buckets (median of 5).
 *
 * Usage: `deno task bench lease-fence lease-overhead`.
 *
 * @module
 */
import postgres from "postgres";
import { openDatabase } from "../models/store/database.ts";
import { type DetectionRow, DETECTIONS, newDetection } from "../models/store/detections.ts";
import { BatchInsert } from "../models/store/batch_insert.ts";
import { claimLease, heartbeat } from "../models/store/leases.ts";
import { columnArrays, insertStatement } from "../models/store/table_spec.ts";
import { arrayLiteral } from "../models/store/array_literal.ts";
import { Coordinator } from "../actors/cluster/coordinator.ts";
import { startPostgresCluster } from "../test/support/postgres_cluster.ts";
import { configureLogging, createLogger } from "../models/log.ts";
import { uuidv7 } from "../models/ids.ts";
import { registerRow, type RowOptions } from "./bench/registry.ts";

const BATCH = 500;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function withDatabase<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  configureLogging("error");
  const cluster = await startPostgresCluster();
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-bench-cluster-" });
  const db = await openDatabase({ url: cluster.url, dataDir });
  try {
    return await work(db.sql);
  } finally {
    await db.close();
    await cluster.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function rows(camera: string, n: number, start: number): DetectionRow[] {
  return Array.from({ length: n }, (_, i) =>
    newDetection({
      cameraId: camera,
      ts: start + i,
      frame: i,
      trackId: null,
      label: i % 3 ? "person" : "car",
      score: 0.8,
      box: [0.1, 0.2, 0.3, 0.4],
    }));
}

/** Rows/s of the fenced and the plain statement, median of `rounds` alternating rounds. */
async function measureFence(total: number, rounds: number) {
  return await withDatabase(async (sql) => {
    const camera = uuidv7();
    const box = {
      id: uuidv7(),
      baseUrl: "http://b:1",
      rtspUrl: "rtsp://b:2",
      capacity: 1,
      version: "b",
    };
    await sql`insert into cameras (id, name, source_url) values (${camera}, 'bench', 'rtsp://x/y')`;
    await heartbeat(sql, box, 60_000);
    const epoch = await claimLease(sql, { camera, to: box.id, epoch: null }, 600_000);
    const counts = { written: 0, dropped: 0 };
    const log = createLogger("bench");
    const plain = new BatchInsert(sql, DETECTIONS, { log, writeTimeoutMs: 30_000, counts });
    const fenced = new BatchInsert(sql, DETECTIONS, {
      log,
      writeTimeoutMs: 30_000,
      counts,
      fence: { cameraId: camera, boxId: box.id, epoch: epoch! },
    });
    let clock = Date.now();
    const run = async (insert: BatchInsert<DetectionRow>) => {
      const batches = Array.from({ length: total / BATCH }, () => {
        const made = rows(camera, BATCH, clock);
        clock += BATCH;
        return { made, params: insert.literals(made) };
      });
      const started = performance.now();
      for (const batch of batches) await insert.insert(batch.made, true, batch.params);
      return total / ((performance.now() - started) / 1000);
    };
    await run(plain);
    await run(fenced);
    const results = { plain: [] as number[], fenced: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      results.plain.push(await run(plain));
      results.fenced.push(await run(fenced));
    }
    if (counts.dropped > 0) throw new Error("bench: the fence refused rows it should not");
    return { plain: median(results.plain), fenced: median(results.fenced), results };
  });
}

/** Statements per second a coordinator holding `cameras` cameras sends over `seconds`. */
async function measureOverhead(cameras: number, seconds: number) {
  return await withDatabase(async (sql) => {
    const ids = Array.from({ length: cameras }, () => uuidv7());
    for (const id of ids) {
      await sql`insert into cameras (id, name, source_url) values (${id}, ${id}, 'rtsp://x/y')`;
    }
    const held = new Map<string, number>();
    const fleet = {
      adopt: (id: string, epoch: number) => Promise.resolve(void held.set(id, epoch)),
      release: (id: string) => Promise.resolve(void held.delete(id)),
      owned: () => new Map(held),
    };
    const coordinator = new Coordinator({
      sql,
      box: {
        id: uuidv7(),
        baseUrl: "http://b:1",
        rtspUrl: "rtsp://b:2",
        capacity: 64,
        version: "b",
      },
      endLive: () => Promise.resolve(),
    });
    for (const [id, epoch] of await coordinator.join()) held.set(id, epoch);
    if (held.size !== cameras) throw new Error(`bench: the box holds ${held.size} cameras`);
    coordinator.run(fleet);
    const before = coordinator.statements;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const perSecond = (coordinator.statements - before) / ((performance.now() - started) / 1000);
    await coordinator.stop();
    return perSecond;
  });
}

registerRow({
  id: "lease-fence",
  order: "9a",
  title: "Detections insert rate with the lease fence (rows/s)",
  async run(options: RowOptions) {
    const total = options.quick ? 20_000 : 50_000;
    const rounds = options.quick ? 3 : 5;
    const r = await measureFence(total, rounds);
    const ratio = r.fenced / r.plain;
    return {
      figure: Math.round(r.fenced),
      unit: "rows/s",
      baseline: Math.round(r.plain),
      baselineLabel: "same statement without the fence",
      ratio,
      goal: "≥ 0.9",
      pass: ratio >= 0.9,
      note: `${total} rows per round in batches of ${BATCH}, median of ${rounds} rounds`,
      details: r.results,
    };
  },
});

registerRow({
  id: "lease-overhead",
  order: "9b",
  title: "Lease statements per second, one box holding 50 cameras",
  async run(options: RowOptions) {
    const seconds = options.seconds ?? (options.quick ? 10 : 30);
    const perSecond = await measureOverhead(50, seconds);
    return {
      figure: Number(perSecond.toFixed(2)),
      unit: "statements/s",
      baseline: null,
      ratio: null,
      goal: "≤ 1.5 (one renewal and one view per 2 s)",
      pass: perSecond <= 1.5,
      note: `${seconds} s window`,
    };
  },
});

/** Insert rate and a 24 h count on the partitioned table and an unpartitioned copy. */
async function measurePartitions(total: number) {
  return await withDatabase(async (sql) => {
    await sql`create table detections_flat (like detections including defaults including indexes)`;
    const camera = uuidv7();
    const now = Date.now();
    const step = 86_400_000 / total;
    const day = Array.from({ length: total }, (_, i) => ({
      ...rows(camera, 1, now - 86_400_000 + i * step)[0]!,
    }));
    const insertInto = async (table: string) => {
      const text = insertStatement({ ...DETECTIONS, table }, { idempotent: false });
      const started = performance.now();
      for (let i = 0; i < day.length; i += BATCH) {
        const params = columnArrays(DETECTIONS, day.slice(i, i + BATCH)).map(arrayLiteral);
        await sql.unsafe(text, params);
      }
      return total / ((performance.now() - started) / 1000);
    };
    const count = async (table: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await sql.unsafe(
          `select to_timestamp(floor(extract(epoch from ts) / 300) * 300) as bucket, label,
             count(*)::int from ${table} where ts >= $1 and ts < $2 group by 1, 2`,
          [new Date(now - 86_400_000), new Date(now)],
        );
        times.push(performance.now() - started);
      }
      return median(times);
    };
    const flatRate = await insertInto("detections_flat");
    const partRate = await insertInto("detections");
    await sql`analyze detections`;
    await sql`analyze detections_flat`;
    return {
      partRate,
      flatRate,
      partCountMs: await count("detections"),
      flatCountMs: await count("detections_flat"),
    };
  });
}

registerRow({
  id: "partitions-insert",
  order: "9d",
  title: "Detections insert rate, day partitions vs one table (rows/s)",
  async run(options: RowOptions) {
    const r = await options.shared(
      "partitions",
      () => measurePartitions(options.quick ? 50_000 : 200_000),
    );
    return {
      figure: Math.round(r.partRate),
      unit: "rows/s",
      baseline: Math.round(r.flatRate),
      baselineLabel: "unpartitioned copy, same indexes",
      ratio: r.partRate / r.flatRate,
      goal: "≥ 0.9",
      pass: r.partRate / r.flatRate >= 0.9,
      note: "a day of rows of one camera, unnest of 500 per statement",
    };
  },
});

registerRow({
  id: "partitions-count",
  order: "9e",
  title: "24 h count per label in 5-minute buckets, day partitions vs one table (ms)",
  async run(options: RowOptions) {
    const r = await options.shared(
      "partitions",
      () => measurePartitions(options.quick ? 50_000 : 200_000),
    );
    return {
      figure: Number(r.partCountMs.toFixed(1)),
      unit: "ms",
      baseline: Number(r.flatCountMs.toFixed(1)),
      baselineLabel: "unpartitioned copy, same indexes",
      ratio: r.partCountMs / r.flatCountMs,
      goal: "informs",
      pass: null,
      note: "median of 5; the query GET /api/detections/counts runs",
    };
  },
});
