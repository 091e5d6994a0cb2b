/**
 * A box cut off from the shared database stops its cameras by its own clock, before their lease
 * expires (it cannot know that another box takes them over): two Vigil servers on loopback, one
 * real PostgreSQL 15, box A behind a TCP proxy that the test hangs (connections stay open, no byte
 * passes, as a network that blackholes). The camera is pinned to A so the test knows its owner.
 *
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startPostgresCluster } from "../support/postgres_cluster.ts";
import { type RtspServer, startRtspServer } from "../support/rtsp.ts";
import { TcpProxy } from "../support/tcp_proxy.ts";
import { apiClient, eventually, TestBox } from "../support/cluster.ts";

/**
 * The stop lands about a second before the expiry; a box that waits for its next round after a
 * timed-out renewal stops about four seconds after it. This slack separates the two on a loaded
 * box.
 */
const STOP_SLACK_MS = 2_000;

Deno.test({
  name: "a box cut off from the database stops its cameras by the lease's expiry",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPostgresCluster();
    const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
    const proxy = new TcpProxy(Number(new URL(pg.url).port));
    const root = await Deno.makeTempDir({ prefix: "vigil-lease-expiry-" });
    const viaProxy = new URL(pg.url);
    viaProxy.port = String(proxy.port);
    const a = new TestBox("a", `${root}/a`, { DATABASE_URL: viaProxy.href, VIGIL_LOG: "info" });
    const b = new TestBox("b", `${root}/b`, { DATABASE_URL: pg.url, VIGIL_LOG: "info" });
    let cam: RtspServer | undefined;
    try {
      cam = await startRtspServer({ width: 160, height: 96, fps: 5 });
      await a.start();
      await b.start();
      const api = apiClient((await Deno.readTextFile(`${root}/a/admin-token`)).trim());
      const made = await api<{ id: string }>(a.base, "POST", "/api/cameras", {
        name: "porch",
        rtspUrl: cam.url,
        box: a.id,
      });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      const camera = made.json.id;
      const lease = async () => {
        const [row] = await sql<{ boxId: string; expiresAt: Date }[]>`
          select box_id as "boxId", expires_at as "expiresAt" from leases
          where camera_id = ${camera} and expires_at > now()`;
        return row;
      };
      await eventually("the camera leased to A", 10_000, async () => {
        return (await lease())?.boxId === a.id ? true : undefined;
      });
      const started = await api(a.base, "POST", `/api/cameras/${camera}/capture`, {
        action: "start",
      });
      assert.equal(started.status, 200, JSON.stringify(started.json));
      await eventually("the camera live on A", 30_000, async () => {
        const reply = await api<{ state: { stream: string } }>(
          a.base,
          "GET",
          `/api/cameras/${camera}`,
        );
        return reply.json.state.stream === "live" ? true : undefined;
      });

      // The lease as A last renewed it: no later renewal can reach the database once hung.
      proxy.hang();
      const cutAt = Date.now();
      const expiresAt = (await lease())!.expiresAt.getTime();
      const released = await eventually("A stops the camera", 30_000, () => {
        const line = a.lines.map(parse).find((entry) =>
          entry?.msg === "camera released" && entry.camera === camera &&
          Date.parse(entry.ts) >= cutAt
        );
        return Promise.resolve(line ? Date.parse(line.ts) : undefined);
      });
      console.log(`A stopped the camera ${released - expiresAt} ms after its lease expiry`);
      assert.ok(
        released <= expiresAt + STOP_SLACK_MS,
        `A stopped the camera ${released - expiresAt} ms after its lease expired`,
      );
      await eventually("the camera live on B", 30_000, async () => {
        if ((await lease())?.boxId !== b.id) return undefined;
        const reply = await api<{ state: { stream: string } }>(
          b.base,
          "GET",
          `/api/cameras/${camera}`,
        );
        return reply.json.state.stream === "live" ? true : undefined;
      });
    } finally {
      proxy.unhang();
      await Promise.all([a, b].map((box) => box.stop("SIGKILL").catch(() => {})));
      await proxy.close();
      await cam?.stop();
      await sql.end();
      await pg.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});

/** One JSON log line, or undefined for anything else. */
function parse(line: string): { ts: string; msg: string; camera?: string } | undefined {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
