/**
 * The camera machine's stream state against a stand-in capture and source (no processes): `live`
 * needs both capture's frames and the source child saying the camera is up.
 */
import assert from "node:assert/strict";
import { createActor, fromCallback } from "xstate";
import {
  type CameraEvent,
  cameraMachine,
  streamState,
} from "../../../actors/camera/camera_machine.ts";

function camera() {
  const toCamera: { send?: (event: CameraEvent) => void } = {};
  const machine = cameraMachine.provide({
    actors: {
      capture: fromCallback(({ sendBack }) => {
        sendBack({ type: "CAPTURE.LIVE", info: null });
      }),
      source: fromCallback(({ sendBack }) => {
        toCamera.send = sendBack;
      }),
    },
  });
  const actor = createActor(machine, {
    input: { id: "c1", sourceUrl: "rtsp://x/", analysisWidth: 320, analysisHeight: 180, fps: 5 },
  });
  actor.start();
  actor.send({ type: "CAPTURE.START" });
  return {
    actor,
    state: () => streamState(actor.getSnapshot()),
    source: (event: CameraEvent) => toCamera.send!(event),
  };
}

Deno.test("a live camera whose source goes down is connecting, with the source's error, and live again when it is back", () => {
  const cam = camera();
  assert.equal(cam.state(), "live");
  cam.source({ type: "SOURCE.DOWN", error: "puller: stream ended" });
  assert.equal(cam.state(), "connecting");
  assert.equal(cam.actor.getSnapshot().context.lastError, "puller: stream ended");
  cam.source({ type: "SOURCE.UP" });
  assert.equal(cam.state(), "live");
  assert.equal(cam.actor.getSnapshot().context.lastError, null);
  cam.actor.stop();
});

Deno.test("capture's first frame does not make a camera live while its source is down", () => {
  const cam = camera();
  cam.source({ type: "SOURCE.DOWN", error: null });
  // A new analysis rate restarts capture, whose stand-in sends its first frame at once.
  cam.actor.send({ type: "CAMERA.UPDATE", source: { fps: 4 } });
  assert.equal(cam.state(), "connecting");
  cam.source({ type: "SOURCE.UP" });
  assert.equal(cam.state(), "live");
  cam.actor.stop();
});
