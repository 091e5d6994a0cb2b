/**
 * The inference Worker: owns ONE onnxruntime session (through a detector adapter) so that
 * `session.run`, which holds its thread for the whole inference, never stalls the main event
 * loop. Started by `shared_detector.ts`; runs one request at a time.
 * Why: docs/decisions/inference-worker.md.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { VigilError } from "../errors.ts";
import type { FromWorker, ToWorker, WireError } from "./inference_protocol.ts";
import { openDetector } from "./open_detector.ts";
import type { Detector } from "./types.ts";

let detector: Detector | undefined;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

function toWire(err: unknown): WireError {
  if (err instanceof VigilError) {
    const field = (err as { field?: unknown }).field;
    return {
      name: err.name,
      code: err.code,
      message: err.message,
      ...(typeof field === "string" ? { field } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { name: "Error", code: "inference_failed", message: `inference: ${message}` };
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case "open":
      try {
        detector = await openDetector(msg.config);
        post({ type: "ready", name: detector.name, labels: [...detector.labels] });
      } catch (err) {
        post({ type: "open_failed", error: toWire(err) });
      }
      return;
    case "detect": {
      if (!detector) {
        post({ type: "detect_failed", id: msg.id, error: toWire(new Error("no model open")) });
        return;
      }
      const start = performance.now();
      try {
        const frame = { width: msg.width, height: msg.height, data: new Uint8Array(msg.buffer) };
        const detections = await detector.detect(frame, {
          classes: msg.classes,
          regions: msg.regions,
        });
        post({ type: "result", id: msg.id, detections, inferenceMs: performance.now() - start });
      } catch (err) {
        post({ type: "detect_failed", id: msg.id, error: toWire(err) });
      }
      return;
    }
    case "close":
      await detector?.close();
      detector = undefined;
      post({ type: "closed" });
      return;
  }
}

/**
 * The Worker's message handler (exported so a test wrapper can delegate to it). A failure inside
 * is answered as a message; anything escaping it is a real crash and surfaces as the Worker's
 * error event, which the main side answers with a restart.
 *
 * @param e a message from the main thread
 */
export function onWorkerMessage(e: MessageEvent<ToWorker>): void {
  void handle(e.data);
}

self.onmessage = onWorkerMessage;
