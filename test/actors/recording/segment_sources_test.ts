/**
 * Where a clip's segments come from on several boxes: this box's own files; another box's file
 * read directly when the recordings directory is shared (same path, same size: no HTTP); else
 * fetched from the box that recorded it over HTTP with the cluster credential; a segment no box
 * can give is left out and named.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { segmentFile, segmentPath } from "../../../models/recording/paths.ts";
import { segmentsBetween } from "../../../models/store/segments.ts";
import { gatherSegments } from "../../../actors/recording/segment_sources.ts";
import { freePort } from "../../support/postgres_cluster.ts";

Deno.test("gatherSegments() reads shared files directly, fetches the rest, names what is missing", async (t) => {
  const db = await openTestDatabase("embedded");
  // The recording box: the test app, serving its real routes over HTTP.
  const app = await startTestApp(db);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.app.fetch);
  // The compiling box: its own data dir, the same database and key.
  const compiling = await Deno.makeTempDir({ prefix: "vigil-compiling-" });
  const workDir = join(compiling, "records", "tmp");
  await Deno.mkdir(workDir, { recursive: true });
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    const camera = (await made.json()).id as string;
    const recorder = uuidv7();
    const downBox = uuidv7();
    const self = uuidv7();
    await db.sql`insert into boxes (id, base_url, rtsp_url, capacity, version) values
      (${recorder}, ${`http://127.0.0.1:${server.addr.port}`}, 'rtsp://127.0.0.1:1', 4, 'test'),
      (${downBox}, ${`http://127.0.0.1:${freePort()}`}, 'rtsp://127.0.0.1:1', 4, 'test')`;
    const t0 = Date.parse("2026-12-06T01:00:00Z");
    const add = async (
      n: number,
      box: string,
      files: { dataDir: string; bytes: Uint8Array }[],
    ) => {
      const start = t0 + n * 2000;
      const path = segmentPath(camera, start);
      for (const file of files) {
        await Deno.mkdir(dirname(segmentFile(file.dataDir, path)), { recursive: true });
        await Deno.writeFile(segmentFile(file.dataDir, path), file.bytes);
      }
      await db.sql`insert into segments
        (id, camera_id, path, started_at, ended_at, bytes, duration_ms, box_id, lease_epoch)
        values (${uuidv7(start)}, ${camera}, ${path}, ${new Date(start)},
                ${new Date(start + 2000)}, ${files[0]?.bytes.length ?? 100}, 2000, ${box}, 1)`;
      return path;
    };
    const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    // 0: this box's own file. 1: the recorder's, on shared storage (the same file here too).
    // 2: the recorder's, only on the recorder. 3: on a box that is down. 4: this box's, gone.
    await add(0, self, [{ dataDir: compiling, bytes: bytes(300, 1) }]);
    await add(1, recorder, [
      { dataDir: db.dataDir, bytes: bytes(400, 2) },
      { dataDir: compiling, bytes: bytes(400, 2) },
    ]);
    const only = await add(2, recorder, [{ dataDir: db.dataDir, bytes: bytes(500, 3) }]);
    await add(3, downBox, []);
    await add(4, self, []);
    const segments = await segmentsBetween(
      db.sql,
      camera,
      new Date(t0),
      new Date(t0 + 10_000),
    );
    const gathered = await gatherSegments(segments, {
      sql: db.sql,
      dataDir: compiling,
      boxId: self,
      clusterKey: app.clusterKey,
      workDir,
      prefix: "clip",
      signal: new AbortController().signal,
      fetchTimeoutMs: 5_000,
    });

    await t.step("own and shared files are read where they are; the rest is fetched", async () => {
      const files = gathered.readable.map((s) => s.file);
      assert.equal(files.length, 3);
      assert.equal(files[0], segmentFile(compiling, segments[0]!.path));
      assert.equal(files[1], segmentFile(compiling, segments[1]!.path), "shared: no HTTP");
      assert.equal(files[2], join(workDir, `clip-${segments[2]!.id}.mp4`));
      assert.deepEqual(await Deno.readFile(files[2]!), bytes(500, 3));
      assert.deepEqual(gathered.fetched, [files[2]]);
      assert.deepEqual(gathered.fetchedFrom, { [recorder]: 1 });
    });

    await t.step("what no box could give is left out and named", () => {
      assert.deepEqual(
        gathered.missing.map((m) => ({ from: m.from, to: m.to, box: m.box })),
        [
          { from: t0 + 6000, to: t0 + 8000, box: downBox },
          { from: t0 + 8000, to: t0 + 10_000, box: self },
        ],
      );
      assert.match(gathered.missing[0]!.reason, new RegExp(`box ${downBox} did not answer`));
      assert.match(gathered.missing[1]!.reason, /gone from this box/);
    });

    await t.step("a shared path holding a different file (another size) is fetched", async () => {
      await Deno.mkdir(dirname(segmentFile(compiling, only)), { recursive: true });
      await Deno.writeFile(segmentFile(compiling, only), bytes(10, 9));
      const again = await gatherSegments([segments[2]!], {
        sql: db.sql,
        dataDir: compiling,
        boxId: self,
        clusterKey: app.clusterKey,
        workDir,
        prefix: "again",
        signal: new AbortController().signal,
      });
      assert.deepEqual(again.fetchedFrom, { [recorder]: 1 });
      assert.deepEqual(await Deno.readFile(again.readable[0]!.file), bytes(500, 3));
    });
  } finally {
    await server.shutdown();
    await app.close();
    await db.close();
    await Deno.remove(compiling, { recursive: true });
  }
});
