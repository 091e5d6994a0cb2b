import assert from "node:assert/strict";
import { configureLogging } from "../../../models/log.ts";
import { DetectorError } from "../../../models/detectors/detector_error.ts";
import { type DetectOutcome, SharedDetector } from "../../../models/detectors/shared_detector.ts";
import { MAX_FAILED_RESTARTS } from "../../../models/detectors/shared_detector_options.ts";
import type { Frame } from "../../../models/detectors/types.ts";
import { constantModel, yoloOutput } from "./tiny_onnx.ts";

const CRASHING_WORKER = new URL("./fixtures/crashing_worker.ts", import.meta.url);

/** A tiny v8 YOLO model with one person box at input [8,20,24,44] (64x64 input). */
async function tinyYolo(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const out = yoloOutput("v8", 8, 3, [{ box: [8, 20, 24, 44], scores: [0.875, 0, 0] }]);
  await Deno.writeFile(
    `${dir}/tiny.onnx`,
    constantModel({ name: "images", dims: [1, 3, 64, 64] }, [{ name: "output0", ...out }]),
  );
  await Deno.writeTextFile(`${dir}/coco_labels.txt`, "person\ncar\ndog\n");
  return dir;
}

/** `promise`, or a rejection naming the wait when it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function frame(width: number, height: number): Frame {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** Box of the tiny model's person in a frame of this size (letterbox geometry, clipped). */
function personBox(width: number, height: number) {
  const scale = Math.min(64 / width, 64 / height);
  const padX = Math.floor((64 - Math.round(width * scale)) / 2);
  const padY = Math.floor((64 - Math.round(height * scale)) / 2);
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return [
    clip((8 - padX) / scale, width),
    clip((20 - padY) / scale, height),
    clip((24 - padX) / scale, width),
    clip((44 - padY) / scale, height),
  ];
}

Deno.test("shared detector serves two cameras round-robin with each camera's latest frame", async () => {
  const dir = await tinyYolo();
  // One frame at a time in the Worker, so the order below is the slots' order alone.
  const shared = await SharedDetector.open({
    kind: "yolo",
    path: `${dir}/tiny.onnx`,
    minScore: 0.25,
    threads: 1,
  }, { pipelineDepth: 1 });
  try {
    assert.equal(shared.name, "yolo:tiny.onnx");
    const order: string[] = [];
    const track = (name: string, p: Promise<DetectOutcome>) =>
      p.then((o) => {
        order.push(`${name}:${o.status}`);
        return o;
      });
    // a1 goes to the Worker at once; a2 waits and is replaced by a3; b1 waits.
    const a1Frame = frame(128, 64);
    const a1 = track("a1", shared.detect("cam-a", a1Frame));
    assert.equal(a1Frame.data.byteLength, 0, "the frame buffer was transferred, not copied");
    const a2 = track("a2", shared.detect("cam-a", frame(128, 64)));
    const a3 = track("a3", shared.detect("cam-a", frame(128, 64)));
    const b1 = track("b1", shared.detect("cam-b", frame(64, 128)));
    const [o1, o2, o3, o4] = await Promise.all([a1, a2, a3, b1]);
    assert.equal(o2.status, "skipped");
    // After a1 the rotation moves on to cam-b before coming back to cam-a.
    assert.deepEqual(order, ["a2:skipped", "a1:done", "b1:done", "a3:done"]);
    for (const [o, w, h] of [[o1, 128, 64], [o3, 128, 64], [o4, 64, 128]] as const) {
      assert.equal(o.status, "done");
      if (o.status !== "done") continue;
      assert.deepEqual(o.detections.map((d) => [d.label, d.box]), [["person", personBox(w, h)]]);
      assert.ok(o.inferenceMs >= 0);
    }
  } finally {
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shared detector hands the Worker its next frame before the current one is done", async () => {
  const dir = await tinyYolo();
  const shared = await SharedDetector.open({
    kind: "yolo",
    path: `${dir}/tiny.onnx`,
    minScore: 0.25,
    threads: 1,
  });
  try {
    // Depth 2: a1 runs and a2 waits in the Worker's inbox, where a newer frame cannot replace it;
    // a3 waits in the camera's slot and is replaced by a4.
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(() => shared.detect("cam-a", frame(64, 64))),
    );
    assert.deepEqual(outcomes.map((o) => o.status), ["done", "done", "skipped", "done"]);
  } finally {
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vacancy() resolves once the camera's waiting frame is handed to the Worker", async () => {
  const dir = await tinyYolo();
  const shared = await SharedDetector.open({
    kind: "yolo",
    path: `${dir}/tiny.onnx`,
    minScore: 0.25,
    threads: 1,
  });
  try {
    let settled = false;
    await shared.vacancy("cam-a").then(() => settled = true);
    assert.ok(settled, "nothing waits: resolves at once");
    const order: string[] = [];
    const frames = [1, 2, 3].map((i) =>
      shared.detect("cam-a", frame(64, 64)).then((o) => order.push(`a${i}:${o.status}`))
    );
    // a1 and a2 are in the Worker, a3 waits in the slot until a1 is done.
    const vacancy = shared.vacancy("cam-a").then(() => order.push("vacancy"));
    await Promise.all([...frames, vacancy]);
    assert.deepEqual(order, ["a1:done", "vacancy", "a2:done", "a3:done"]);
  } finally {
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shared detector refuses a pipeline depth below one", async () => {
  await assert.rejects(
    SharedDetector.open({ kind: "yolo", path: "x.onnx", minScore: 0.3 }, { pipelineDepth: 0 }),
    /'pipelineDepth' must be a positive integer: current value is 0/,
  );
});

Deno.test("shared detector restarts a crashed worker and keeps serving cameras", async () => {
  const dir = await tinyYolo();
  const lines: string[] = [];
  configureLogging("info", (line) => lines.push(line));
  const shared = await SharedDetector.open(
    { kind: "yolo", path: `${dir}/tiny.onnx`, minScore: 0.25, threads: 1 },
    { workerUrl: CRASHING_WORKER, restartDelayMs: 50 },
  );
  try {
    const crashed = shared.detect("cam-a", frame(13, 13));
    // Handed to the Worker behind the crashing frame: lost with it.
    const lost = shared.detect("cam-c", frame(64, 64));
    const waiting = shared.detect("cam-b", frame(64, 64));
    for (const p of [crashed, lost]) {
      await assert.rejects(
        p,
        (e) =>
          e instanceof DetectorError && e.code === "worker_crashed" &&
          /simulated inference crash/.test(e.message),
      );
    }
    // cam-b's frame was still in its slot and is served by the restarted Worker.
    const served = await waiting;
    assert.equal(served.status, "done");
    assert.equal(shared.restarts, 1);
    const again = await shared.detectorFor("cam-a").detect(frame(128, 64));
    assert.deepEqual(again.map((d) => d.label), ["person"]);
    assert.ok(lines.some((l) => l.includes("inference worker crashed")));
    assert.ok(lines.some((l) => l.includes("inference worker restarted")));
  } finally {
    await shared.close();
    configureLogging("info", (line) => console.error(line));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shared detector restarts a worker that hangs on a frame", async () => {
  const dir = await tinyYolo();
  configureLogging("error", () => {});
  const shared = await SharedDetector.open(
    { kind: "yolo", path: `${dir}/tiny.onnx`, minScore: 0.25, threads: 1 },
    { workerUrl: CRASHING_WORKER, restartDelayMs: 50, inferenceTimeoutMs: 500 },
  );
  try {
    await assert.rejects(
      shared.detect("cam-a", frame(17, 17)),
      (e) => e instanceof DetectorError && e.code === "worker_crashed" && /hung/.test(e.message),
    );
    const again = await shared.detectorFor("cam-a").detect(frame(128, 64));
    assert.deepEqual(again.map((d) => d.label), ["person"]);
    assert.equal(shared.restarts, 1);
  } finally {
    await shared.close();
    configureLogging("info", (line) => console.error(line));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shared detector reports startup errors from inside the worker", async (t) => {
  const dir = await tinyYolo();
  try {
    await t.step("missing model", async () => {
      await assert.rejects(
        SharedDetector.open({ kind: "yolo", path: `${dir}/missing.onnx`, minScore: 0.3 }),
        (e) =>
          e instanceof DetectorError && e.code === "model_missing" &&
          e.message.includes("missing.onnx"),
      );
    });
    await t.step("empty labels", async () => {
      await Deno.writeTextFile(`${dir}/empty.txt`, "");
      await assert.rejects(
        SharedDetector.open({
          kind: "yolo",
          path: `${dir}/tiny.onnx`,
          labelsPath: `${dir}/empty.txt`,
          minScore: 0.3,
        }),
        (e) => e instanceof DetectorError && e.code === "labels_empty",
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shared detector rejects frames after close and bad frames at once", async () => {
  const dir = await tinyYolo();
  const shared = await SharedDetector.open({
    kind: "yolo",
    path: `${dir}/tiny.onnx`,
    minScore: 0.3,
  });
  try {
    await assert.rejects(
      shared.detect("cam-a", { width: 4, height: 4, data: new Uint8Array(5) }),
      (e) => e instanceof DetectorError && e.code === "frame_invalid",
    );
  } finally {
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(
    shared.detect("cam-a", frame(8, 8)),
    (e) => e instanceof DetectorError && e.code === "detector_closed",
  );
});

Deno.test("detectorFor() gives a camera a Detector whose replaced frames resolve empty", async () => {
  const dir = await tinyYolo();
  const shared = await SharedDetector.open({
    kind: "yolo",
    path: `${dir}/tiny.onnx`,
    minScore: 0.3,
  });
  try {
    const cam = shared.detectorFor("cam-a");
    assert.equal(cam.name, "yolo:tiny.onnx");
    const [first, second, replaced, latest] = await Promise.all([
      cam.detect(frame(64, 64)),
      cam.detect(frame(64, 64)),
      cam.detect(frame(64, 64)),
      cam.detect(frame(64, 64)),
    ]);
    assert.deepEqual(first.map((d) => d.label), ["person"]);
    assert.deepEqual(second.map((d) => d.label), ["person"]);
    assert.deepEqual(replaced, []);
    assert.deepEqual(latest.map((d) => d.label), ["person"]);
    await cam.close();
  } finally {
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "a worker that cannot restart (model removed) fails requests after bounded restarts, " +
    "keeps retrying, and serves again once the model is back",
  async () => {
    const dir = await tinyYolo();
    const lines: string[] = [];
    configureLogging("info", (line) => lines.push(line));
    const shared = await SharedDetector.open(
      { kind: "yolo", path: `${dir}/tiny.onnx`, minScore: 0.25, threads: 1 },
      { workerUrl: CRASHING_WORKER, restartDelayMs: 50, maxRestartDelayMs: 200 },
    );
    try {
      await Deno.rename(`${dir}/tiny.onnx`, `${dir}/away.onnx`);
      const crashed = shared.detect("cam-a", frame(13, 13));
      // Handed to the Worker behind the crashing frame (depth 2): lost with it.
      const lost = shared.detect("cam-c", frame(64, 64));
      const waiting = shared.detect("cam-b", frame(64, 64));
      for (const p of [crashed, lost]) {
        await assert.rejects(p, (e) => e instanceof DetectorError && e.code === "worker_crashed");
      }
      // The frame queued behind the crash fails once restarts have failed a bounded number of
      // times, instead of waiting forever.
      const started = performance.now();
      await assert.rejects(
        within(waiting, 30_000),
        (e) =>
          e instanceof DetectorError && e.code === "detector_unavailable" &&
          /tiny\.onnx/.test(e.message),
      );
      console.log(`the waiting frame failed after ${Math.round(performance.now() - started)} ms`);
      assert.equal(
        shared.restarts,
        MAX_FAILED_RESTARTS,
        "it gave up waiting after the bounded restarts",
      );
      // New frames fail at once while the model is gone.
      await assert.rejects(
        shared.detect("cam-a", frame(64, 64)),
        (e) => e instanceof DetectorError && e.code === "detector_unavailable",
      );
      // It keeps trying in the background and serves again once the model is back.
      await Deno.rename(`${dir}/away.onnx`, `${dir}/tiny.onnx`);
      let served: DetectOutcome | undefined;
      for (let i = 0; i < 300 && !served; i++) {
        served = await shared.detect("cam-a", frame(64, 64)).catch(() => undefined);
        if (!served) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(served?.status, "done");
      assert.ok(shared.restarts > MAX_FAILED_RESTARTS);
      assert.ok(lines.some((l) => l.includes("inference worker restart failed")));
    } finally {
      await shared.close();
      configureLogging("info", (line) => console.error(line));
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a camera in constant motion cannot starve a quiet one of its turns", async () => {
  const dir = await tinyYolo();
  const shared = await SharedDetector.open({
    kind: "yolo",
    path: `${dir}/tiny.onnx`,
    minScore: 0.25,
    threads: 1,
  }, { pipelineDepth: 1 });
  try {
    let busyDone = 0;
    let quietDone = 0;
    let flooding = true;
    // The busy camera offers a new frame every millisecond, whatever happened to the last one.
    const flood = (async () => {
      const pending: Promise<DetectOutcome>[] = [];
      while (flooding) {
        pending.push(
          shared.detect("busy", frame(64, 64)).then((o) => {
            if (o.status === "done") busyDone++;
            return o;
          }),
        );
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(pending);
    })();
    // The quiet camera sends its next frame once the last one is answered, as the analysis does.
    while (quietDone < 10) {
      const outcome = await within(shared.detect("quiet", frame(64, 64)), 10_000);
      assert.equal(outcome.status, "done", "a quiet camera's only frame is never replaced");
      quietDone++;
    }
    flooding = false;
    await flood;
    // Turns alternate: the busy camera ran about as often as the quiet one, not ten times more.
    assert.ok(busyDone <= quietDone + 2, `busy ${busyDone} runs, quiet ${quietDone}`);
  } finally {
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
});
