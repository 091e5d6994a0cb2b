/**
 * Issue 17, security: "viewers can read webhook secrets through `desired`". A webhook URL often
 * holds its secret in the path or query; every reply that carries settings shows its origin only.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";

const HOOK = "https://hooks.example.test/services/T0/B0/PATHSECRET?token=QUERYSECRET";

forEachDatabase(
  "webhook secrets (issue 17): no reply to anyone carries a webhook URL's path or query",
  async (db) => {
    const app = await startTestApp(db);
    try {
      const camera = await (await app.call("POST", "/api/cameras", {
        body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/x" },
      })).json();
      const put = await app.call("PUT", `/api/cameras/${camera.id}/analytics`, {
        body: { webhook: { url: HOOK } },
      });
      assert.equal(put.status, 200);
      const replies: [string, unknown][] = [["PUT analytics (admin)", await put.json()]];
      for (const [who, token] of [["viewer", app.tokens.viewer], ["admin", app.tokens.admin]]) {
        for (
          const path of [
            "/api/cameras",
            `/api/cameras/${camera.id}`,
            `/api/cameras/${camera.id}/analytics`,
          ]
        ) {
          const response = await app.call("GET", path, { token });
          assert.equal(response.status, 200, `${who} ${path}`);
          replies.push([`${who} GET ${path}`, await response.json()]);
        }
      }
      const one = await (await app.call("GET", `/api/cameras/${camera.id}`)).json();
      assert.equal(one.desired.analytics.webhook.url, "https://hooks.example.test/…");
      assert.deepEqual(one.desired.analytics.webhook.events.length > 0, true);

      // The stored settings keep the whole URL: deliveries still go to it.
      const [row] = await db.sql<{ url: string }[]>`
        select desired -> 'analytics' -> 'webhook' ->> 'url' as url from cameras
        where id = ${camera.id}`;
      assert.equal(row?.url, HOOK);
      // Stopping capture detaches analytics; its reply is one more view of the camera.
      const capture = await app.call("POST", `/api/cameras/${camera.id}/capture`, {
        body: { action: "stop" },
      });
      replies.push(["POST capture (admin)", await capture.json()]);
      for (const [what, reply] of replies) {
        assert.doesNotMatch(JSON.stringify(reply), /SECRET/, what);
      }
    } finally {
      await app.close();
    }
  },
);
