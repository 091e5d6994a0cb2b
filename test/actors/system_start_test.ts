/**
 * startSystem() cleans up after itself when it fails part way: what it started is stopped.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startSystem } from "../../actors/system.ts";

Deno.test({
  name: "a startSystem that fails after starting the relay stops it: its RTSP port is free again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    try {
      // The fleet cannot list cameras: startSystem fails after the relay started.
      await db.sql`drop table cameras cascade`;
      // A port probed free can be taken by another process before the relay binds it: then the
      // start fails for that reason, which proves nothing, and the test tries another port.
      for (let attempt = 1;; attempt++) {
        const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = probe.addr.port;
        probe.close();
        const error = await startSystem({
          db,
          dataDir: db.dataDir,
          modelsDir: "assets/models",
          rtsp: { hostname: "127.0.0.1", port },
          probe: () => Promise.resolve({ matches: [], rejected: 0, interfaces: [] }),
        }).then(() => undefined, (error: unknown) => error);
        assert.ok(error instanceof Error, "startSystem failed");
        if (/VIGIL_RTSP_PORT/.test(error.message) && attempt < 3) continue;
        assert.doesNotMatch(error.message, /VIGIL_RTSP_PORT/, "the relay started first");
        const again = Deno.listen({ hostname: "127.0.0.1", port });
        again.close();
        break;
      }
    } finally {
      await db.close();
    }
  },
});
