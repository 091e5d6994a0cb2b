import assert from "node:assert/strict";
import { forEachDatabase } from "../../support/databases.ts";
import { insertCamera } from "../../../models/store/cameras.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { createLogger } from "../../../models/log.ts";
import { BatchInsert } from "../../../models/store/batch_insert.ts";
import { DETECTIONS, newDetection } from "../../../models/store/detections.ts";
import {
  claimLease,
  clusterView,
  handOverLease,
  heartbeat,
  leaseOwner,
  listBoxes,
} from "../../../models/store/leases.ts";

const TTL = 8_000;
const box = (id: string) => ({
  id,
  baseUrl: `http://${id.slice(0, 4)}:8080`,
  rtspUrl: "rtsp://x:8554",
  capacity: 4,
  version: "test",
});

forEachDatabase(
  "a write under a lost lease is refused whole and dropped, never spilled",
  async (db) => {
    const camera = uuidv7();
    await insertCamera(db.sql, {
      id: camera,
      name: "door",
      sourceUrl: "rtsp://h/s",
      transport: "tcp",
    });
    const [a, b] = [box(uuidv7()), box(uuidv7())];
    await heartbeat(db.sql, a, TTL);
    await heartbeat(db.sql, b, TTL);
    assert.equal(await claimLease(db.sql, { camera, to: a.id, epoch: null }, TTL), 1);
    const counts = { written: 0, dropped: 0 };
    let lost = 0;
    const writer = (boxId: string, epoch: number) =>
      new BatchInsert(db.sql, DETECTIONS, {
        log: createLogger("test"),
        writeTimeoutMs: 10_000,
        counts,
        fence: { cameraId: camera, boxId, epoch, onLost: () => lost++ },
      });
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        newDetection({
          cameraId: camera,
          ts: Date.now() + i,
          frame: i,
          trackId: null,
          label: "person",
          score: 0.9,
          box: [0.1, 0.1, 0.2, 0.2],
        }));
    const old = writer(a.id, 1);
    await old.insert(rows(3), true);
    assert.deepEqual(counts, { written: 3, dropped: 0 });

    // A box that holds the camera cannot take it before it expires; a handover moves it.
    assert.equal(await claimLease(db.sql, { camera, to: b.id, epoch: 1 }, TTL), undefined);
    assert.ok(await handOverLease(db.sql, a.id, { camera, to: b.id, epoch: 1 }, TTL));
    await old.insert(rows(5), true);
    assert.deepEqual(counts, { written: 3, dropped: 5 }, "refused under epoch 1");
    assert.equal(lost, 1);
    await writer(b.id, 2).insert(rows(2), true);
    const stored = await db.sql<{ boxId: string; epoch: string; n: number }[]>`
    select box_id as "boxId", lease_epoch as epoch, count(*)::int as n from detections
    group by 1, 2 order by 2`;
    assert.deepEqual(stored.map((r) => [r.boxId, Number(r.epoch), r.n]), [[a.id, 1, 3], [
      b.id,
      2,
      2,
    ]]);
  },
);

forEachDatabase(
  "heartbeat() renews only the box's own leases; an expired one is stolen with epoch + 1",
  async (db) => {
    const camera = uuidv7();
    await insertCamera(db.sql, {
      id: camera,
      name: "yard",
      sourceUrl: "rtsp://h/s",
      transport: "tcp",
    });
    const [a, b] = [box(uuidv7()), box(uuidv7())];
    await heartbeat(db.sql, a, TTL);
    await heartbeat(db.sql, b, TTL);
    await claimLease(db.sql, { camera, to: a.id, epoch: null }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const view = await clusterView(db.sql, TTL);
    assert.ok(view.cameras[0]!.expiredForMs > 0);
    assert.equal(await leaseOwner(db.sql, camera), undefined);
    assert.equal(await claimLease(db.sql, { camera, to: b.id, epoch: 1 }, TTL), 2);
    assert.deepEqual([...(await heartbeat(db.sql, a, TTL))], [], "a lost it");
    assert.deepEqual([...(await heartbeat(db.sql, b, TTL))], [[camera, 2]]);
    assert.equal((await leaseOwner(db.sql, camera))?.boxId, b.id);
    const listed = await listBoxes(db.sql, TTL);
    assert.deepEqual(listed.find((x) => x.id === b.id)?.cameras, [camera]);
    assert.ok(listed.every((x) => x.up));
  },
);
