/**
 * The pin API with real processes: two Vigil servers on loopback sharing one real PostgreSQL 15
 * and one simulated RTSP camera. Pinning the camera to the other box moves it there; clearing
 * the pin leaves it where it is; a pin to a box that never registered answers 422 and changes
 * nothing; a pin to a box that is down keeps the camera where it is until that box is back.
 *
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startPostgresCluster } from "../support/postgres_cluster.ts";
import { type RtspServer, startRtspServer } from "../support/rtsp.ts";
import { apiClient, type BoxItem, eventually, TestBox } from "../support/cluster.ts";

/** A renewal interval is 2 s and a camera start a few more; generous for a loaded box. */
const MOVE_MS = 30_000;

Deno.test({
  name: "a camera pinned to a box moves there, and stays where it is when the pin is cleared",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const pg = await startPostgresCluster();
    const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
    const root = await Deno.makeTempDir({ prefix: "vigil-pin-" });
    const env = { DATABASE_URL: pg.url, VIGIL_LOG: "info" };
    const boxes = ["a", "b"].map((name) => new TestBox(name, `${root}/${name}`, env));
    let cam: RtspServer | undefined;
    try {
      cam = await startRtspServer({ width: 160, height: 96, fps: 5 });
      await boxes[0]!.start();
      await boxes[1]!.start();
      const api = apiClient((await Deno.readTextFile(`${root}/a/admin-token`)).trim());
      const byId = (id: string) => boxes.find((box) => box.id === id)!;
      const owner = async () => {
        const [row] = await sql<{ boxId: string }[]>`
          select box_id as "boxId" from leases where expires_at > now()`;
        return row ? byId(row.boxId) : undefined;
      };
      const liveOn = async (camera: string, box: TestBox) => {
        if ((await owner()) !== box) return undefined;
        const reply = await api<{ state: { stream: string } }>(
          box.base,
          "GET",
          `/api/cameras/${camera}`,
        );
        return reply.json.state.stream === "live" ? true : undefined;
      };
      const pin = (box: TestBox, camera: string, to: string | null) =>
        api<{ box: string | null; error?: { code: string } }>(
          box.base,
          "PATCH",
          `/api/cameras/${camera}`,
          { box: to },
        );

      const made = await api<{ id: string }>(boxes[0]!.base, "POST", "/api/cameras", {
        name: "porch",
        rtspUrl: cam.url,
      });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      const camera = made.json.id;
      const first = await eventually("the camera leased", 10_000, owner);
      assert.equal(
        (await api(first.base, "POST", `/api/cameras/${camera}/capture`, { action: "start" }))
          .status,
        200,
      );
      await eventually("the camera live", MOVE_MS, () => liveOn(camera, first));
      const other = boxes.find((box) => box !== first)!;

      await t.step("pinning the camera to the other box moves it there", async () => {
        const reply = await pin(first, camera, other.id);
        assert.equal(reply.status, 200, JSON.stringify(reply.json));
        assert.equal(reply.json.box, other.id);
        await eventually("the camera live on the pinned box", MOVE_MS, () => liveOn(camera, other));
        const shown = await api<{ box: string }>(first.base, "GET", `/api/cameras/${camera}`);
        assert.equal(shown.json.box, other.id, "every box shows the pin");
      });

      await t.step("clearing the pin leaves the camera where it is", async () => {
        const reply = await pin(other, camera, null);
        assert.equal(reply.status, 200, JSON.stringify(reply.json));
        assert.equal(reply.json.box, null);
        for (let i = 0; i < 12; i++) {
          assert.equal(await owner(), other, "the camera stays on the box it was pinned to");
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      });

      await t.step(
        "a pin to a box that never registered answers 422 and changes nothing",
        async () => {
          const reply = await pin(other, camera, crypto.randomUUID());
          assert.equal(reply.status, 422);
          assert.equal(reply.json.error?.code, "unknown_box");
          const [row] = await sql<{ pin: string | null }[]>`
          select pin_box as pin from cameras where id = ${camera}`;
          assert.equal(row!.pin, null);
          assert.equal(await owner(), other);
        },
      );

      await t.step("a pin to a box that is down waits for it, then moves once", async () => {
        await first.stop("SIGTERM");
        await eventually("the stopped box down", MOVE_MS, async () => {
          const listed = await api<{ items: BoxItem[] }>(other.base, "GET", "/api/boxes");
          return listed.json.items.find((box) => box.id === first.id)?.state === "down"
            ? true
            : undefined;
        });
        assert.equal((await pin(other, camera, first.id)).status, 200);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        assert.equal(await owner(), other, "the camera stays while its box is down");
        await first.start();
        await eventually("the camera live on its box back", MOVE_MS, () => liveOn(camera, first));
        const epochs = await sql<{ epoch: string }[]>`select epoch from leases`;
        for (let i = 0; i < 10; i++) {
          assert.equal(await owner(), first, "it does not flap");
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        assert.deepEqual(await sql`select epoch from leases`, epochs);
      });
    } finally {
      await Promise.all(boxes.map((box) => box.stop("SIGKILL").catch(() => {})));
      await cam?.stop();
      await sql.end();
      await pg.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
