/**
 * Clips across a handover (issue 22), with real processes: two Vigil servers on loopback sharing
 * one real PostgreSQL 15, one simulated camera recorded on box A, handed over to box B (a pin in
 * the database: rebalancing moves it), recorded on B. A clip asked of A over the handover holds
 * video from both boxes (B's segments fetched over HTTP with the cluster credential); its file is
 * served by A (B answers 307 there); the segment endpoint refuses user tokens and bad ids; with B
 * killed, A compiles what it can reach and names the part that is missing. With the recordings
 * directory shared (a symlink), A reads B's files directly, even with B killed.
 *
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startPostgresCluster } from "../support/postgres_cluster.ts";
import { type RtspServer, startRtspServer } from "../support/rtsp.ts";
import { apiClient, eventually, TestBox } from "../support/cluster.ts";
import { countFrames, probe } from "../support/recording.ts";
import { uuidv7 } from "../../models/ids.ts";

const FPS = 10;
/** Segments each box records before the clip is asked for. */
const SEGMENTS_PER_BOX = 3;

interface Segment {
  id: string;
  box: string;
  startMs: number;
  endMs: number;
  durationMs: number;
}

interface RecordReply {
  id: string;
  state: string;
  box: string | null;
  durationS: number | null;
  error: string | null;
  gaps: { from: string; to: string }[];
  missing: { from: string; to: string; box: string | null; reason: string }[];
}

/** Two boxes, one camera recorded on A, handed over to B and recorded there. */
interface Handover {
  a: TestBox;
  b: TestBox;
  root: string;
  token: string;
  api: ReturnType<typeof apiClient>;
  segments(): Promise<Segment[]>;
  fromA: Segment[];
  fromB: Segment[];
  all: Segment[];
  to: string;
  /** Asks A for a clip of the whole handover and waits until it is done or failed. */
  compile(): Promise<RecordReply>;
}

const recordedMs = (list: Segment[]) => list.reduce((sum, s) => sum + s.durationMs, 0);

/**
 * Runs `steps` on two real boxes after a handover; `shared` makes B's recordings directory A's
 * (a symlink: shared storage as both boxes see it).
 */
async function withHandover(shared: boolean, steps: (h: Handover) => Promise<void>) {
  const pg = await startPostgresCluster();
  const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  const root = await Deno.makeTempDir({ prefix: "vigil-clips-" });
  const env = { DATABASE_URL: pg.url, VIGIL_LOG: "info", VIGIL_SEGMENT_SECONDS: "2" };
  const [a, b] = ["a", "b"].map((name) => new TestBox(name, `${root}/${name}`, env)) as [
    TestBox,
    TestBox,
  ];
  if (shared) {
    await Deno.mkdir(`${root}/a/recordings`, { recursive: true });
    await Deno.mkdir(`${root}/b`, { recursive: true });
    await Deno.symlink(`${root}/a/recordings`, `${root}/b/recordings`);
  }
  let cam: RtspServer | undefined;
  try {
    cam = await startRtspServer({ width: 160, height: 96, fps: FPS });
    await a.start();
    const token = (await Deno.readTextFile(`${root}/a/admin-token`)).trim();
    const api = apiClient(token);
    const made = await api<{ id: string }>(a.base, "POST", "/api/cameras", {
      name: "dock",
      rtspUrl: cam.url,
    });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const camera = made.json.id;
    const recording = await api(a.base, "PUT", `/api/cameras/${camera}/recording`, {
      mode: "continuous",
    });
    assert.equal(recording.status, 200, JSON.stringify(recording.json));

    const segments = async (): Promise<Segment[]> =>
      (await sql<
        { id: string; box: string; started_at: Date; ended_at: Date; duration_ms: number }[]
      >`select id, box_id as box, started_at, ended_at, duration_ms from segments
        where camera_id = ${camera} order by started_at`).map((s) => ({
        id: s.id,
        box: s.box,
        startMs: s.started_at.getTime(),
        endMs: s.ended_at.getTime(),
        durationMs: s.duration_ms,
      }));
    const recordedBy = async (box: TestBox) =>
      (await segments()).filter((s) => s.box === box.id).length >= SEGMENTS_PER_BOX
        ? true
        : undefined;
    await eventually("box A records", 60_000, () => recordedBy(a));

    // The handover: B joins, the camera is pinned to it, and rebalancing moves it there.
    await b.start();
    await sql`update cameras set pin_box = ${b.id} where id = ${camera}`;
    await eventually("the lease moves to B", 30_000, async () => {
      const [lease] = await sql`select box_id from leases where camera_id = ${camera}`;
      return lease?.box_id === b.id ? true : undefined;
    });
    await eventually("box B records", 60_000, () => recordedBy(b));
    const all = await segments();
    const fromA = all.filter((s) => s.box === a.id);
    const fromB = all.filter((s) => s.box === b.id);
    const from = new Date(fromA[0]!.startMs).toISOString();
    const to = new Date(fromB.at(-1)!.endMs).toISOString();
    const compile = async (): Promise<RecordReply> => {
      const asked = await api<{ id: string }>(a.base, "POST", "/api/records", {
        camera,
        from,
        to,
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.json));
      return await eventually("the clip is compiled", 90_000, async () => {
        const job = await api<RecordReply>(a.base, "GET", `/api/records/${asked.json.id}`);
        return job.json.state === "done" || job.json.state === "failed" ? job.json : undefined;
      });
    };
    await steps({ a, b, root, token, api, segments, fromA, fromB, all, to, compile });
  } finally {
    await Promise.all([a.stop(), b.stop()]).catch(() => {});
    await cam?.stop();
    await sql.end();
    await pg.close();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** Downloads a clip from the box holding it and measures it: seconds and frames. */
async function measureClip(h: Handover, id: string) {
  const file = await fetch(`${h.a.base}/api/records/${id}/file`, {
    headers: { authorization: `Bearer ${h.token}` },
  });
  assert.equal(file.status, 200);
  const path = `${h.root}/${id}.mp4`;
  await Deno.writeFile(path, new Uint8Array(await file.arrayBuffer()));
  const probed = await probe(path);
  const frames = await countFrames(path);
  const expectedS = (recordedMs(h.fromA) + recordedMs(h.fromB)) / 1000;
  console.log(
    `clip: ${probed.durationS.toFixed(2)} s, ${frames} frames; A recorded ` +
      `${recordedMs(h.fromA)} ms, B ${recordedMs(h.fromB)} ms`,
  );
  // More than either box alone could give: both boxes' video is in it.
  assert.ok(probed.durationS >= expectedS * 0.9, `${probed.durationS} s of ${expectedS} s`);
  assert.ok(frames >= expectedS * FPS * 0.85, `${frames} frames for ${expectedS} s`);
  assert.ok(probed.durationS > Math.max(recordedMs(h.fromA), recordedMs(h.fromB)) / 1000 + 1);
}

Deno.test({
  name: "a clip over a handover holds video from both boxes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await withHandover(false, async (h) => {
      const { a, b, api, fromA, fromB, all, to, segments, compile } = h;
      await t.step("A compiles the clip from its own segments and B's, in order", async () => {
        const clip = await compile();
        assert.equal(clip.state, "done", clip.error ?? "");
        assert.equal(clip.box, a.id);
        assert.deepEqual(clip.missing, []);
        assert.ok(
          a.lines.some((line) => line.includes("segments of other boxes fetched")),
          "B's segments came over HTTP",
        );
        // B serves the record's reply too, and sends the file request to A.
        const elsewhere = await api(b.base, "GET", `/api/records/${clip.id}/file`);
        assert.equal(elsewhere.status, 307);
        assert.equal(elsewhere.headers.get("location"), `${a.base}/api/records/${clip.id}/file`);
        await measureClip(h, clip.id);
      });

      await t.step("the segment endpoint refuses user tokens and bad ids", async () => {
        const segment = fromB[0]!.id;
        const url = `${b.base}/api/cluster/segments/${segment}`;
        const none = await fetch(url);
        assert.equal(none.status, 401);
        await none.body?.cancel();
        const user = await api(b.base, "GET", `/api/cluster/segments/${segment}`);
        assert.equal(user.status, 401);
        const bad = await api(b.base, "GET", "/api/cluster/segments/..%2F..%2Fbox-id");
        assert.equal(bad.status, 400);
        const unknown = await api(b.base, "GET", `/api/cluster/segments/${uuidv7()}`);
        assert.equal(unknown.status, 401, "no credential: refused before the lookup");
        assert.deepEqual(await segments().then((s) => s.length >= all.length), true);
      });

      await t.step("B killed: A compiles what it reaches and names B's part", async () => {
        await b.stop("SIGKILL");
        const clip = await compile();
        assert.equal(clip.state, "done", clip.error ?? "");
        assert.equal(clip.missing.length, fromB.length);
        for (const [i, part] of clip.missing.entries()) {
          assert.equal(part.box, b.id);
          assert.equal(part.from, new Date(fromB[i]!.startMs).toISOString());
          assert.match(part.reason, /did not answer/);
        }
        const lastGap = clip.gaps.at(-1)!;
        assert.equal(lastGap.to, to, "B's part is a gap of the clip");
        assert.ok(clip.durationS! <= recordedMs(fromA) / 1000 + 1, `${clip.durationS} s`);
      });
    });
  },
});

Deno.test({
  name: "with shared recordings storage a clip over a handover reads B's files directly",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHandover(true, async (h) => {
      // B is gone: nothing could be fetched from it, and nothing needs to be.
      await h.b.stop("SIGKILL");
      const clip = await h.compile();
      assert.equal(clip.state, "done", clip.error ?? "");
      assert.deepEqual(clip.missing, []);
      assert.ok(
        !h.a.lines.some((line) => line.includes("segments of other boxes fetched")),
        "no segment came over HTTP",
      );
      await measureClip(h, clip.id);
    });
  },
});
