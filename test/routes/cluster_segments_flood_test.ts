/**
 * `GET /api/cluster/segments/{id}` is reachable without a user token, so anyone on the LAN can
 * call it. A bad bearer token is logged until the address is blocked (10 failures, then 429
 * without a line: SECURITY.md "Token guessing"); a bad box credential is logged every time, so an
 * unauthenticated client turns each request into a warn line (a journal or disk to fill).
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { configureLogging } from "../../models/log.ts";
import { uuidv7 } from "../../models/ids.ts";

Deno.test("refused segment fetches from one address do not each write a log line", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  const lines: string[] = [];
  configureLogging("info", (line) => lines.push(line));
  try {
    const forged = `VigilBox ${uuidv7()}.${Date.now() + 30_000}.${"A".repeat(43)}`;
    for (let i = 0; i < 200; i++) {
      const reply = await app.app.request(`/api/cluster/segments/${uuidv7()}`, {
        headers: { authorization: forged },
      });
      await reply.body?.cancel();
      assert.ok(reply.status === 401 || reply.status === 429, String(reply.status));
    }
    const refused = lines.filter((line) => line.includes("segment fetch was refused")).length;
    assert.ok(refused <= 20, `${refused} log lines for 200 refused requests from one address`);
  } finally {
    configureLogging("info", (line) => console.error(line));
    await app.close();
    await db.close();
  }
});
