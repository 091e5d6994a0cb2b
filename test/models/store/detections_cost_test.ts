/**
 * Issue 17, robustness: `GET /api/detections` without filters must not read every row of the
 * retention window — an index serves newest-first paging — and one request's cost is bounded by
 * a statement timeout (on PostgreSQL; PGlite has none, see LIST_TIMEOUT_MS).
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import {
  type DetectionQuery,
  detectionsStatement,
  listDetections,
} from "../../../models/store/detection_queries.ts";
import { VigilError } from "../../../models/errors.ts";
import { forEachDatabase, openTestDatabase } from "../../support/databases.ts";

/** `rows` detections spread over the last day, for `cameras` cameras and two labels. */
async function fill(sql: postgres.Sql, rows: number, cameras: string[]): Promise<void> {
  await sql`
    insert into detections (id, camera_id, ts, frame, track_id, label, score, x1, y1, x2, y2)
    select gen_random_uuid(), (${cameras}::uuid[])[1 + i % ${cameras.length}],
           now() - (i * (86400.0 / ${rows})) * interval '1 second', i, null,
           case when i % 2 = 0 then 'person' else 'dog' end, 0.5, 0.1, 0.1, 0.2, 0.2
    from generate_series(1, ${rows}) as i`;
  await sql`analyze detections`;
}

/** Node types of a plan, with the relation each scan reads and `(bounded)` for an index cond. */
async function planOf(sql: postgres.Sql, query: DetectionQuery): Promise<string[]> {
  const [row] = await sql<{ "QUERY PLAN": unknown }[]>`
    explain (format json) ${detectionsStatement(sql, query)}`;
  const nodes: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    const relation = node["Relation Name"] ? ` ${node["Relation Name"]}` : "";
    const bounded = node["Index Cond"] ? " (bounded)" : "";
    nodes.push(`${node["Node Type"]}${relation}${bounded}`);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  const plan = row!["QUERY PLAN"];
  const parsed = typeof plan === "string" ? JSON.parse(plan) : plan;
  walk((parsed as { Plan: Record<string, unknown> }[])[0]!.Plan);
  return nodes;
}

forEachDatabase(
  "newest-first pages of every detection read an index, not every row",
  async (db) => {
    await fill(db.sql, 40_000, [crypto.randomUUID(), crypto.randomUUID()]);
    const first = await listDetections(db.sql, { limit: 100 });
    assert.equal(first.items.length, 100);
    for (const query of [{ limit: 100 }, { limit: 100, cursor: first.next! }]) {
      const plan = await planOf(db.sql, query);
      assert.ok(!plan.some((node) => node.startsWith("Seq Scan")), `a full scan: ${plan}`);
      assert.ok(plan.some((node) => node.startsWith("Index")), `no index: ${plan}`);
      assert.ok(!plan.includes("Sort"), `every row sorted: ${plan}`);
      if (query.cursor !== undefined) {
        const scans = plan.filter((node) => node.startsWith("Index"));
        assert.ok(scans.every((node) => node.endsWith("(bounded)")), `cursor not used: ${plan}`);
      }
    }
  },
);

Deno.test({
  name: "a listing that runs longer than its statement timeout is cancelled with 503 query_timeout",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("postgres");
    try {
      const [camera, other] = [crypto.randomUUID(), crypto.randomUUID()];
      // `fill` gives the first camera every "person" and the other every "dog".
      await fill(db.sql, 400_000, [camera, other]);
      // A label only the other camera saw: a whole index range is read to find nothing.
      const costly = { camera, label: "dog", limit: 10 };
      await assert.rejects(
        listDetections(db.sql, costly, { timeoutMs: 5 }),
        (e) => e instanceof VigilError && e.code === "query_timeout" && e.status === 503,
      );
      // The timeout was the statement's own: the connection serves the next request normally.
      const page = await listDetections(db.sql, { camera, limit: 10 }, { timeoutMs: 5_000 });
      assert.equal(page.items.length, 10);
      const [setting] = await db.sql<{ statement_timeout: string }[]>`show statement_timeout`;
      assert.equal(setting!.statement_timeout, "0", "the timeout does not outlive the request");
    } finally {
      await db.close();
    }
  },
});
