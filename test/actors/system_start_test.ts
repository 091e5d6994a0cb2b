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
      const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = probe.addr.port;
      probe.close();
      await assert.rejects(
        startSystem({
          db,
          dataDir: db.dataDir,
          modelsDir: "assets/models",
          rtsp: { hostname: "127.0.0.1", port },
          probe: () => Promise.resolve({ matches: [], rejected: 0, interfaces: [] }),
        }),
      );
      const again = Deno.listen({ hostname: "127.0.0.1", port });
      again.close();
    } finally {
      await db.close();
    }
  },
});
