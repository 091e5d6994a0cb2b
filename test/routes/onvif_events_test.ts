/**
 * Issue 25, the camera's own events: a PullPoint subscription to a simulated ONVIF camera over
 * real SOAP on 127.0.0.1 turns its motion and tamper alarms into events of kind `onvif` (stored,
 * on the live feed), opened and closed as the device's property state says; renewed before it
 * expires, re-created after the camera restarts, stopped when the camera is deleted; settings
 * per camera; a hostile device costs bounded time.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  CAMERA_CREDENTIALS,
  type SimulatedCamera,
  startSimulatedCamera,
} from "../support/onvif.ts";
import type { FeedMessage } from "../../actors/camera/event_recorder.ts";
import { SIM_TOPICS, type SimulatedEventsOptions } from "../../scripts/sim/onvif_events.ts";

const ONVIF_TIMEOUT_MS = 2000;
const RTSP = "rtsp://127.0.0.1:9/none";
/** Short polls and retries, so restarts and renewals happen within a test. */
const PULL_POINT = { pullTimeoutS: 1, retryBaseMs: 200 };

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function onboard(t: TestApp, camera: SimulatedCamera): Promise<string> {
  const response = await t.call("POST", "/api/cameras", {
    body: { name: "cam", onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS } },
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  return JSON.parse(text).id;
}

async function status(t: TestApp, id: string) {
  const response = await t.call("GET", `/api/cameras/${id}/onvif-events`);
  assert.equal(response.status, 200);
  return await response.json();
}

const subscribed = (t: TestApp, id: string, atLeast = 1) =>
  until("a subscription", async () => {
    const s = await status(t, id);
    return s.state === "subscribed" && s.subscriptions >= atLeast ? s : undefined;
  });

async function onvifEvents(t: TestApp, id: string) {
  const response = await t.call("GET", `/api/events?camera=${id}&kind=onvif`);
  assert.equal(response.status, 200);
  return (await response.json()).items as {
    id: string;
    label: string;
    endedAt: string | null;
    details: { topic: string; data: Record<string, string> };
  }[];
}

async function withEventsApp(
  db: Parameters<typeof startTestApp>[0],
  sim: SimulatedEventsOptions,
  fn: (t: TestApp, camera: SimulatedCamera, id: string) => Promise<void>,
) {
  const t = await startTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS, pullPoint: PULL_POINT });
  const camera = await startSimulatedCamera({ ...CAMERA_CREDENTIALS, rtspUrl: RTSP, events: sim });
  try {
    await fn(t, camera, await onboard(t, camera));
  } finally {
    await t.close();
    await camera.stop();
  }
}

forEachDatabase(
  "a simulated motion alarm opens an onvif event that closes when the device says so",
  async (db) => {
    await withEventsApp(db, {}, async (t, camera, id) => {
      const feed: FeedMessage[] = [];
      const off = t.events.subscribe((m) => m.event.kind === "onvif" && feed.push(m));
      try {
        await subscribed(t, id);
        assert.deepEqual(await onvifEvents(t, id), [], "Initialized false opens nothing");
        camera.events!.set("motion", true);
        const opened = await until("the open event", async () => {
          const [event] = await onvifEvents(t, id);
          return event;
        });
        assert.equal(opened.label, "MotionAlarm");
        assert.equal(opened.endedAt, null);
        assert.equal(opened.details.topic, SIM_TOPICS.motion);
        assert.equal(opened.details.data.State, "true");
        camera.events!.set("motion", false);
        const closed = await until("the close", async () => {
          const [event] = await onvifEvents(t, id);
          return event?.endedAt ? event : undefined;
        });
        assert.equal(closed.id, opened.id, "the same event closes");
        assert.deepEqual(feed.map((m) => m.action), ["open", "close"], "both on the live feed");
      } finally {
        off();
      }
    });
  },
);

forEachDatabase("an onvif event is posted to the camera's webhook", async (db) => {
  const posted: { action: string; event: { kind: string; label: string } }[] = [];
  const listening = Promise.withResolvers<number>();
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => listening.resolve(port) },
    async (request) => {
      posted.push(await request.json());
      return new Response(null, { status: 204 });
    },
  );
  try {
    const port = await listening.promise;
    await withEventsApp(db, {}, async (t, camera, id) => {
      const hooked = await t.call("PUT", `/api/cameras/${id}/analytics`, {
        body: { webhook: { url: `http://127.0.0.1:${port}/hook`, events: ["onvif"] } },
      });
      assert.equal(hooked.status, 200, await hooked.text());
      await subscribed(t, id);
      camera.events!.set("motion", true);
      const open = await until("the webhook", () => Promise.resolve(posted[0]));
      assert.equal(open.action, "open");
      assert.deepEqual([open.event.kind, open.event.label], ["onvif", "MotionAlarm"]);
    });
  } finally {
    await receiver.shutdown();
  }
});

forEachDatabase("the onvif events subscription is renewed before it expires", async (db) => {
  await withEventsApp(db, { maxTerminationSeconds: 2 }, async (t, camera, id) => {
    await subscribed(t, id);
    await new Promise((r) => setTimeout(r, 5000));
    const count = (action: string) => camera.actions.filter((a) => a === action).length;
    assert.ok(count("Renew") >= 2, `renewed ${count("Renew")} times`);
    assert.equal(count("CreatePullPointSubscription"), 1, "never lapsed and re-created");
    camera.events!.set("tamper", true);
    await until("the tamper event", async () => (await onvifEvents(t, id))[0]);
  });
});

forEachDatabase("the onvif events subscription survives a simulator restart", async (db) => {
  const t = await startTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS, pullPoint: PULL_POINT });
  const options = { ...CAMERA_CREDENTIALS, rtspUrl: RTSP, events: true };
  let camera = await startSimulatedCamera(options);
  try {
    const id = await onboard(t, camera);
    await subscribed(t, id);
    await camera.stop();
    camera = await startSimulatedCamera({
      ...options,
      port: camera.port,
      endpointAddress: camera.endpointAddress,
    });
    await subscribed(t, id, 2);
    camera.events!.set("motion", true);
    const event = await until(
      "an event after the restart",
      async () => (await onvifEvents(t, id))[0],
    );
    assert.equal(event.label, "MotionAlarm");
  } finally {
    await t.close();
    await camera.stop();
  }
});

forEachDatabase(
  "the onvif events subscription is stopped when the camera is deleted",
  async (db) => {
    await withEventsApp(db, {}, async (t, camera, id) => {
      await subscribed(t, id);
      assert.equal(camera.events!.subscriptions(), 1);
      assert.equal((await t.call("DELETE", `/api/cameras/${id}`)).status, 204);
      assert.ok(camera.actions.includes("Unsubscribe"));
      assert.equal(camera.events!.subscriptions(), 0);
    });
  },
);

forEachDatabase(
  "concurrent onvif events changes and a racing delete leave no subscription behind",
  async (db) => {
    // A slow Unsubscribe keeps each change's stop in flight while the others arrive.
    await withEventsApp(db, { unsubscribeDelayMs: 500 }, async (t, camera, id) => {
      await subscribed(t, id);
      const put = () =>
        t.call("PUT", `/api/cameras/${id}/onvif-events`, { body: { enabled: true } });
      // Three changes at once, then a delete racing two more: each change used to start its own
      // subscription, and one started after the delete's stop polled the deleted camera.
      const replies = await Promise.all([put(), put(), put()]);
      for (const reply of replies) await reply.body?.cancel();
      await subscribed(t, id);
      assert.equal(camera.events!.subscriptions(), 1, "one subscription after the changes");
      const racing = [put(), t.call("DELETE", `/api/cameras/${id}`), put()];
      for (const reply of await Promise.all(racing)) await reply.body?.cancel();
      const before = camera.actions.length;
      await new Promise((r) => setTimeout(r, 2500));
      assert.deepEqual(camera.actions.slice(before).filter((a) => a === "PullMessages"), []);
      assert.equal(camera.events!.subscriptions(), 0);
    });
  },
);

forEachDatabase("onvif events can be turned off and filtered by topic per camera", async (db) => {
  await withEventsApp(db, {}, async (t, camera, id) => {
    await subscribed(t, id);
    const off = await t.call("PUT", `/api/cameras/${id}/onvif-events`, {
      body: { enabled: false },
    });
    assert.equal(off.status, 200);
    assert.equal((await off.json()).state, "off");
    assert.equal(camera.events!.subscriptions(), 0, "unsubscribed");
    assert.equal((await status(t, id)).enabled, false);

    const on = await t.call("PUT", `/api/cameras/${id}/onvif-events`, {
      body: { enabled: true, topics: ["tns1:VideoSource/GlobalSceneChange"] },
    });
    assert.equal(on.status, 200);
    await subscribed(t, id);
    camera.events!.set("motion", true);
    camera.events!.set("tamper", true);
    const event = await until("the tamper event", async () => (await onvifEvents(t, id))[0]);
    assert.equal(event.label, "ImagingService");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await onvifEvents(t, id)).length, 1, "motion was filtered out");

    const bad = await t.call("PUT", `/api/cameras/${id}/onvif-events`, {
      body: { enabled: true, topics: ["has space"] },
    });
    assert.equal(bad.status, 422);
    const byUrl = await t.call("POST", "/api/cameras", { body: { name: "url", rtspUrl: RTSP } });
    const urlId = (await byUrl.json()).id;
    assert.equal((await t.call("GET", `/api/cameras/${urlId}/onvif-events`)).status, 409);
  });
});

forEachDatabase("a hostile events device costs bounded memory and time", async (db) => {
  const t = await startTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS, pullPoint: PULL_POINT });
  const camera = await startSimulatedCamera({ ...CAMERA_CREDENTIALS, rtspUrl: RTSP, events: true });
  let hostile: Deno.HttpServer | undefined;
  try {
    const id = await onboard(t, camera);
    await subscribed(t, id);
    await camera.stop();
    let requests = 0;
    let streamed = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const listening = Promise.withResolvers<void>();
    hostile = Deno.serve({
      hostname: "127.0.0.1",
      port: camera.port,
      onListen: () => listening.resolve(),
    }, () => {
      requests++;
      return new Response(
        new ReadableStream({
          pull(controller) {
            if (streamed > 1024 * 1024 * 1024) return controller.close();
            streamed += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
        { headers: { "content-type": "application/soap+xml" } },
      );
    });
    await listening.promise;
    const retrying = await until("the retry", async () => {
      const s = await status(t, id);
      return s.state === "retrying" && s.lastError ? s : undefined;
    });
    assert.match(retrying.lastError, /over \d+ bytes/);
    const before = requests;
    await new Promise((r) => setTimeout(r, 3000));
    // Backoff from 200 ms doubling: a handful of attempts in 3 s, not a busy loop.
    assert.ok(requests - before <= 6, `${requests - before} attempts in 3 s`);
    assert.ok(streamed / Math.max(1, requests) < 16 * 1024 * 1024, "each reply cut short");
  } finally {
    await t.close();
    await hostile?.shutdown();
    await camera.stop();
  }
});
