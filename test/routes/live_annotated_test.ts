/**
 * Annotated live sessions: the boxes of the camera's analysis drawn onto the picture. The camera
 * shows a still photo and the detector is a tiny ONNX model that always finds one "person" at a
 * known place, so the test knows exactly where the box must be drawn.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { startRtspServer, waitFor } from "../support/rtsp.ts";
import { constantModel, yoloOutput } from "../models/detectors/tiny_onnx.ts";

const MEDIA = new URL("../../assets/media/", import.meta.url).pathname;
const WIDTH = 640;
const HEIGHT = 360;

/** A models dir with `fixed`: one person at [16,24,48,40] of a 64x64 letterboxed input. */
async function fixedModel(dir: string): Promise<void> {
  const out = yoloOutput("v8", 8, 1, [{ box: [16, 24, 48, 40], scores: [0.9] }]);
  await Deno.writeFile(
    `${dir}/fixed.onnx`,
    constantModel({ name: "images", dims: [1, 3, 64, 64] }, [{ name: "output0", ...out }]),
  );
  await Deno.writeTextFile(`${dir}/fixed.txt`, "person\n");
  await Deno.writeTextFile(
    `${dir}/fixed.json`,
    JSON.stringify({ kind: "yolo", path: "fixed.onnx", labelsPath: "fixed.txt", threads: 1 }),
  );
}

/** A 4 s clip of a still photo at the live size, for the RTSP simulator to loop. */
async function stillClip(path: string): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-loop",
      "1",
      "-i",
      `${MEDIA}coffee.png`,
      "-t",
      "4",
      "-r",
      "15",
      "-vf",
      `scale=${WIDTH}:${HEIGHT},format=yuv420p`,
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      path,
    ],
  }).output();
  assert.ok(out.success);
}

/** The first frame of an HLS segment as rgb24. */
async function firstFrame(bytes: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-i",
      "pipe:0",
      "-frames:v",
      "1",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "pipe:1",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const frame = (await child.output()).stdout;
  assert.equal(frame.length, WIDTH * HEIGHT * 3);
  return frame;
}

/** Mean absolute difference of two rgb24 frames over the pixels `inside` selects. */
function meanDiff(a: Uint8Array, b: Uint8Array, inside: (x: number, y: number) => boolean) {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      if (!inside(x, y)) continue;
      const i = (y * WIDTH + x) * 3;
      sum += Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) +
        Math.abs(a[i + 2]! - b[i + 2]!);
      n += 3;
    }
  }
  return sum / n;
}

Deno.test({
  name: "an annotated picture differs from the plain one along the known box and its label, " +
    "and nowhere else beyond encoding noise",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const models = await Deno.makeTempDir();
    const clip = `${models}/still.mp4`;
    await fixedModel(models);
    await stillClip(clip);
    const server = await startRtspServer({ source: clip, width: WIDTH, height: HEIGHT, fps: 15 });
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db, { modelsDir: models, live: { idleMs: 30_000 } });
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "still", rtspUrl: server.url },
      });
      const camera = (await created.json()).id;
      const refused = await app.call("POST", "/api/live", {
        body: { camera, quality: "360p", annotated: true, output: "hls" },
      });
      assert.equal(refused.status, 409);
      const attach = await app.call("PUT", `/api/cameras/${camera}/analytics`, {
        body: {
          detector: "fixed",
          classes: ["person"],
          fps: 5,
          rules: { confirmFrames: 1, keepAliveFps: 5 },
        },
      });
      assert.equal(attach.status, 200, await attach.text());
      await waitFor(
        () => (app.fleet.board(camera).latest()?.objects.length ?? 0) > 0,
        30_000,
        "the analysis to see the person",
      );
      const [box] = app.fleet.board(camera).latest()!.objects.map((o) => o.box);
      // 64x64 input of a 640x360 frame: scale 0.1, 14 px of letterbox above and below.
      const expected = [160, 100, 480, 260].map((v, i) => v / (i % 2 === 0 ? WIDTH : HEIGHT));
      box!.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 0.01, `box ${box}`));

      const open = async (annotated: boolean) => {
        const response = await app.call("POST", "/api/live", {
          body: { camera, quality: "360p", annotated, output: "hls" },
        });
        const session = await response.json();
        assert.equal(response.status, 201, JSON.stringify(session));
        return session.id as string;
      };
      const annotated = await open(true);
      const plain = await open(false);
      const latestSegment = async (id: string) => {
        const list = await (await app.call("GET", `/live/${id}/index.m3u8`)).text();
        const name = list.trim().split("\n").at(-1)!;
        const response = await app.call("GET", `/live/${id}/${name}`);
        assert.equal(response.status, 200);
        return new Uint8Array(await response.arrayBuffer());
      };
      // Let both run a few segments past their start (counted, not slept: a loaded box is slow).
      const segments = async (id: string) => {
        const list = await (await app.call("GET", `/live/${id}/index.m3u8`)).text();
        return list.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length;
      };
      for (let i = 0; i < 300; i++) {
        if ((await segments(annotated)) >= 3 && (await segments(plain)) >= 3) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const info = app.live.get(annotated);
      assert.ok(info.annotation!.drawn > 0, JSON.stringify(info.annotation));
      const a = await firstFrame(await latestSegment(annotated));
      const b = await firstFrame(await latestSegment(plain));

      const [x1, y1, x2, y2] = [160, 100, 480, 260];
      const near = (x: number, y: number, d: number) =>
        (x >= x1 - d && x <= x2 + d && y >= y1 - d && y <= y2 + d) &&
        !(x > x1 + d && x < x2 - d && y > y1 + d && y < y2 - d);
      const outline = (x: number, y: number) => near(x, y, 1);
      const label = (x: number, y: number) =>
        x >= x1 + 2 && x < x1 + 60 && y >= y1 - 9 && y < y1 - 2;
      const elsewhere = (x: number, y: number) =>
        !near(x, y, 8) && !(x >= x1 - 8 && x < x2 && y >= y1 - 20 && y < y1);
      const onOutline = meanDiff(a, b, outline);
      const onLabel = meanDiff(a, b, label);
      const rest = meanDiff(a, b, elsewhere);
      // Encoding noise: how far the plain picture is from the photo it was encoded from.
      const source = await firstFrame(await Deno.readFile(clip));
      const noise = meanDiff(b, source, elsewhere);
      const annotatedNoise = meanDiff(a, source, elsewhere);
      console.log(
        `mean |annotated - plain|: outline ${onOutline.toFixed(1)}, label ${onLabel.toFixed(1)}, ` +
          `elsewhere ${rest.toFixed(2)}; encoding noise elsewhere: plain ${noise.toFixed(2)}, ` +
          `annotated ${annotatedNoise.toFixed(2)}`,
      );
      assert.ok(onOutline > 40, `the outline differs by ${onOutline}`);
      assert.ok(onLabel > 40, `the label differs by ${onLabel}`);
      assert.ok(rest < 2 * noise + 1, `elsewhere differs by ${rest} (noise ${noise})`);
      assert.ok(annotatedNoise < 1.5 * noise + 1, `annotated ${annotatedNoise} vs noise ${noise}`);
      // And the outline is green.
      const i = ((y1 + 60) * WIDTH + x1) * 3;
      assert.ok(
        a[i + 1]! > 150 && a[i]! < 100 && a[i + 2]! < 100,
        `outline pixel ${a.slice(i, i + 3)}`,
      );
    } finally {
      await app.close();
      await db.close();
      await server.stop();
      await Deno.remove(models, { recursive: true });
    }
  },
});
