/**
 * Issue 17, security: "the embedded database lets anyone on the box in". PGlite accepts any user
 * and password, so the test finds every socket this process starts listening on when the embedded
 * database opens (TCP from /proc/net/tcp*, Unix from /proc/net/unix, matched to our own file
 * descriptors) and connects to each with psql as another user (`nobody`): every attempt must be
 * refused, while the same psql as Vigil's user gets in — so the check cannot pass by being unable
 * to connect at all. Needs root (to run psql as `nobody`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../../../models/store/database.ts";
import { SOCKET_NAME, startEmbeddedDatabase } from "../../../models/store/embedded.ts";
import { copyEmbeddedTemplate } from "../../support/databases.ts";

/** A listening endpoint, as psql's `-h` and `-p` name it. */
interface Endpoint {
  host: string;
  port: string;
}

async function ownSocketInodes(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for await (const entry of Deno.readDir("/proc/self/fd")) {
    try {
      const target = await Deno.readLink(`/proc/self/fd/${entry.name}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

function ipv4(hex: string): string {
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
}

/** Every TCP or Unix socket of this process in the LISTEN state. */
async function listeningEndpoints(): Promise<Endpoint[]> {
  const mine = await ownSocketInodes();
  const found: Endpoint[] = [];
  for (const [file, loopback] of [["/proc/net/tcp", undefined], ["/proc/net/tcp6", "::1"]]) {
    const lines = (await Deno.readTextFile(file!)).trim().split("\n").slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      const [address, port] = (cols[1] ?? "").split(":");
      if (cols[3] !== "0A" || !mine.has(cols[9] ?? "") || !address || !port) continue;
      const host = loopback ?? ipv4(address);
      found.push({
        host: host === "0.0.0.0" ? "127.0.0.1" : host,
        port: String(parseInt(port, 16)),
      });
    }
  }
  const unix = (await Deno.readTextFile("/proc/net/unix")).trim().split("\n").slice(1);
  for (const line of unix) {
    const cols = line.trim().split(/\s+/);
    // Flags 00010000 = accepting connections; the path ends in PostgreSQL's socket name.
    const path = cols[7];
    if (cols[3] !== "00010000" || !mine.has(cols[6] ?? "") || !path?.endsWith(SOCKET_NAME)) {
      continue;
    }
    found.push({ host: path.slice(0, -SOCKET_NAME.length - 1), port: "5432" });
  }
  return found;
}

const key = (e: Endpoint) => `${e.host}:${e.port}`;

async function psql(endpoint: Endpoint, asUser?: string) {
  const psqlArgs = ["-X", "-w", "-h", endpoint.host, "-p", endpoint.port, "-U", "postgres"];
  psqlArgs.push("-d", "postgres", "-tA", "-c", "select count(*) from tokens");
  // A password is offered so a server that asks for one (and accepts anything) does not refuse
  // for the lack of it.
  const result = await new Deno.Command(asUser ? "runuser" : "psql", {
    args: asUser ? ["-u", asUser, "--", "psql", ...psqlArgs] : psqlArgs,
    cwd: "/",
    env: { PGPASSWORD: "anything", PGCONNECT_TIMEOUT: "5" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: result.code,
    out: new TextDecoder().decode(result.stdout).trim(),
    err: new TextDecoder().decode(result.stderr).trim(),
  };
}

Deno.test({
  name: "embedded database (issue 17): another local user cannot connect to it",
  ignore: Deno.uid() !== 0,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-embedded-" });
    // A world-readable data dir, as `mkdir` makes it: the socket must stay private anyway.
    await Deno.chmod(dataDir, 0o755);
    // A migrated copy (no initdb in WASM): these tests are about serving it, not creating it.
    await copyEmbeddedTemplate(join(dataDir, "db"));
    const before = new Set((await listeningEndpoints()).map(key));
    const db = await openDatabase({ dataDir });
    try {
      const opened = (await listeningEndpoints()).filter((e) => !before.has(key(e)));
      assert.ok(opened.length > 0, "the embedded database listens somewhere");
      for (const endpoint of opened) {
        const owner = await psql(endpoint);
        assert.equal(owner.code, 0, `Vigil's user connects to ${key(endpoint)}: ${owner.err}`);
        assert.equal(owner.out, "0");
        const other = await psql(endpoint, "nobody");
        assert.notEqual(other.code, 0, `nobody was let in at ${key(endpoint)}`);
        assert.match(other.err, /permission denied/i);
      }
    } finally {
      await db.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "embedded database: the socket dir is made 0700 and the socket 0600",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-embedded-" });
    const socketDir = join(dataDir, "run");
    await Deno.mkdir(socketDir, { mode: 0o755 });
    await Deno.chmod(socketDir, 0o755);
    await copyEmbeddedTemplate(join(dataDir, "db"));
    const server = await startEmbeddedDatabase({
      dataDir: join(dataDir, "db"),
      socketDir,
      maxConnections: 1,
    });
    try {
      assert.equal(server.socketPath, join(socketDir, SOCKET_NAME));
      assert.equal((await Deno.stat(socketDir)).mode! & 0o777, 0o700);
      assert.equal((await Deno.lstat(server.socketPath)).mode! & 0o777, 0o600);
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "embedded database: a socket left by a dead process is replaced, a live one is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-embedded-" });
    const options = {
      dataDir: join(dataDir, "db"),
      socketDir: join(dataDir, "run"),
      maxConnections: 1,
    };
    await Deno.mkdir(options.socketDir, { mode: 0o700 });
    await copyEmbeddedTemplate(options.dataDir);
    // A process that bound the socket and died leaves its file behind (Deno unlinks its own).
    const bind = "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
    const args = ["-c", bind, join(options.socketDir, SOCKET_NAME)];
    assert.equal((await new Deno.Command("/usr/bin/python3", { args }).output()).code, 0);
    assert.ok((await Deno.lstat(join(options.socketDir, SOCKET_NAME))).isSocket);
    const first = await startEmbeddedDatabase(options);
    try {
      await assert.rejects(() => startEmbeddedDatabase(options), /another process already serves/);
    } finally {
      await first.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "embedded database: a data dir too deep for a socket path gets a private temp socket dir",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-embedded-" });
    const deep = join(dataDir, "d".repeat(60), "e".repeat(60));
    await copyEmbeddedTemplate(join(deep, "db"));
    const server = await startEmbeddedDatabase({
      dataDir: join(deep, "db"),
      socketDir: join(deep, "run"),
      maxConnections: 1,
    });
    const dir = server.socketPath.slice(0, -SOCKET_NAME.length - 1);
    try {
      assert.ok(!server.socketPath.startsWith(deep));
      assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
    await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
  },
});
