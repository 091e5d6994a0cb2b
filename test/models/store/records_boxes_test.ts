/**
 * Compile jobs on several boxes: a claim records the box (the clip's file lives there), and a box
 * starting again puts back in the queue only the jobs it left running, never another box's.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { insertCamera } from "../../../models/store/cameras.ts";
import { uuidv7 } from "../../../models/ids.ts";
import {
  claimNextRecord,
  getRecord,
  insertRecord,
  requeueRunning,
} from "../../../models/store/records.ts";

Deno.test("a box puts back only its own running jobs, and a claim names the box", async () => {
  const db = await openTestDatabase("embedded");
  try {
    const camera = uuidv7();
    await insertCamera(db.sql, {
      id: camera,
      name: "c",
      sourceUrl: "rtsp://127.0.0.1:1/x",
      transport: "tcp",
    });
    const [self, other] = [uuidv7(), uuidv7()];
    const job = (n: number) =>
      insertRecord(db.sql, {
        id: uuidv7(Date.now() + n),
        cameraId: camera,
        eventId: null,
        from: new Date(0),
        to: new Date(1000),
        annotated: false,
      });
    const [mine, theirs, older] = [await job(0), await job(1), await job(2)];
    assert.equal((await claimNextRecord(db.sql, self))?.id, mine.id);
    assert.equal((await claimNextRecord(db.sql, other))?.id, theirs.id);
    // Claimed before boxes were recorded: nobody else will put it back.
    await db.sql`update records set status = 'running' where id = ${older.id}`;
    assert.equal((await getRecord(db.sql, mine.id)).boxId, self);
    assert.equal((await getRecord(db.sql, theirs.id)).boxId, other);

    assert.equal(await requeueRunning(db.sql, self), 2);
    assert.equal((await getRecord(db.sql, mine.id)).status, "queued");
    assert.equal((await getRecord(db.sql, older.id)).status, "queued");
    assert.equal((await getRecord(db.sql, theirs.id)).status, "running", "another box's job");
  } finally {
    await db.close();
  }
});
