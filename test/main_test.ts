import assert from "node:assert/strict";
import { startServer } from "./support/server_process.ts";
import { startPostgresCluster } from "./support/postgres_cluster.ts";

const PASSWORD = "Xy7-very-secret";

async function exerciseServer(env: Record<string, string>, dataDir: string): Promise<void> {
  const first = await startServer(env);
  let cameraId: string;
  try {
    const health = await fetch(`${first.base}/api/health`);
    assert.equal(health.status, 200);
    const body = await health.json();
    assert.equal(body.status, "ok");
    assert.equal(body.db, "ok");

    const unauthorized = await fetch(`${first.base}/api/cameras`);
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();

    const token = (await Deno.readTextFile(`${dataDir}/admin-token`)).trim();
    const mode = (await Deno.stat(`${dataDir}/admin-token`)).mode! & 0o777;
    assert.equal(mode, 0o600);
    assert.ok(first.lines.some((line) => line.includes(token)), "the token is printed once");

    const created = await fetch(`${first.base}/api/cameras`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "gate", rtspUrl: `rtsp://op:${PASSWORD}@127.0.0.1:9/s` }),
    });
    assert.equal(created.status, 201);
    cameraId = (await created.json()).id;
  } finally {
    const { code, ms } = await first.stop("SIGTERM");
    assert.equal(code, 0);
    // Past its 10 s deadline the server exits with 1; the slack is for signalling a loaded box.
    assert.ok(ms < 20_000, `graceful shutdown took ${ms} ms`);
  }
  assert.ok(first.lines.some((line) => line.includes('"msg":"stopped"')));

  const second = await startServer(env);
  try {
    const token = (await Deno.readTextFile(`${dataDir}/admin-token`)).trim();
    assert.ok(!second.lines.some((line) => line.includes(token)), "not printed again");
    const read = await fetch(`${second.base}/api/cameras/${cameraId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(read.status, 200);
    const camera = await read.json();
    assert.equal(camera.name, "gate");
    assert.doesNotMatch(JSON.stringify(camera), new RegExp(PASSWORD));
  } finally {
    await second.stop("SIGINT");
  }
  for (const line of [...first.lines, ...second.lines]) {
    assert.doesNotMatch(line, new RegExp(PASSWORD));
  }
}

Deno.test({
  name: "the server answers over HTTP and keeps its data across a restart (embedded database)",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-main-" });
    try {
      await exerciseServer({ VIGIL_DATA_DIR: dataDir }, dataDir);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the server answers over HTTP and keeps its data across a restart (PostgreSQL)",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-main-" });
    const cluster = await startPostgresCluster();
    try {
      await exerciseServer({ VIGIL_DATA_DIR: dataDir, DATABASE_URL: cluster.url }, dataDir);
    } finally {
      await cluster.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "health answers 503 with db down when PostgreSQL stops, and ok again when it returns",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-main-" });
    const cluster = await startPostgresCluster();
    const server = await startServer({ VIGIL_DATA_DIR: dataDir, DATABASE_URL: cluster.url });
    try {
      await cluster.stop();
      const down = await fetch(`${server.base}/api/health`);
      assert.equal(down.status, 503);
      assert.equal((await down.json()).db, "down");
      await cluster.start();
      let up: Response | undefined;
      for (let i = 0; i < 80; i++) {
        up = await fetch(`${server.base}/api/health`);
        if (up.status === 200) break;
        await up.body?.cancel();
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(up?.status, 200);
      assert.equal((await up!.json()).db, "ok");
    } finally {
      await server.stop();
      await cluster.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("the server exits with code 2 and names the variable on a bad config value", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname],
    env: { VIGIL_PORT: "eighty" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 2);
  assert.match(new TextDecoder().decode(stderr), /VIGIL_PORT must be an integer/);
});

Deno.test({
  name: "the server stops cleanly while a client follows the live event feed",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-main-" });
    const server = await startServer({ VIGIL_DATA_DIR: dataDir });
    try {
      const token = (await Deno.readTextFile(`${dataDir}/admin-token`)).trim();
      const feed = await fetch(`${server.base}/api/events/stream`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(feed.status, 200);
      const reader = feed.body!.getReader();
      await reader.read(); // the `ready` message: the feed is open
      const { code, ms } = await server.stop("SIGTERM");
      assert.equal(code, 0, "exit code");
      // Past its 10 s deadline the server exits with 1; the slack is for signalling a loaded box.
      assert.ok(ms < 20_000, `stopped after ${ms} ms`);
      assert.ok(server.lines.some((line) => line.includes('"msg":"stopped"')));
      await reader.cancel().catch(() => {});
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
