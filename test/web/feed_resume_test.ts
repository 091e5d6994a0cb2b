/**
 * Issue 24: the console's event feed reconnects with the id of the last event it got, so the box
 * replays what it missed (`Last-Event-ID`, routes/events.ts).
 */
import assert from "node:assert/strict";
import { followEvents } from "../../web/lib/feed.ts";
import type { Api } from "../../web/lib/api.ts";

Deno.test("the console's feed reconnects with the last event id it received", async () => {
  const asked: (string | undefined)[] = [];
  const reconnected = Promise.withResolvers<void>();
  const event = (id: string) =>
    `event: open\nid: ${id}\ndata: ${JSON.stringify({ id, camera: "c", kind: "object" })}\n\n`;
  const api = {
    stream(_path: string, _signal: AbortSignal, lastEventId?: string) {
      asked.push(lastEventId);
      if (asked.length === 2) reconnected.resolve();
      // The first connection delivers two events and drops; the second stays quiet.
      const body = asked.length === 1
        ? `event: ready\ndata: {}\n\n${event("e1")}${event("e2")}`
        : "";
      return Promise.resolve(new Response(body));
    },
  } as unknown as Api;
  const received: string[] = [];
  const stop = followEvents(api, undefined, {
    onEvent: (_action, e) => received.push(e.id),
    onState: () => {},
  });
  try {
    await reconnected.promise;
  } finally {
    stop();
  }
  assert.deepEqual(received, ["e1", "e2"]);
  assert.deepEqual(asked, [undefined, "e2"]);
});
