/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temp dir, listening on
 * 127.0.0.1 at a free port, stopped and removed by `close()`. PostgreSQL refuses to run as root,
 * so as root the cluster runs as the `postgres` user that Debian's package creates.
 *
 * @module
 */

/** A running (or stopped) test cluster. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  close(): Promise<void>;
}

async function findBinDir(): Promise<string> {
  const candidates: string[] = [];
  try {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      candidates.push(`/usr/lib/postgresql/${entry.name}/bin`);
    }
  } catch {
    // Not Debian's layout: fall through to PATH.
  }
  candidates.sort().reverse();
  for (const dir of candidates) {
    try {
      await Deno.stat(`${dir}/pg_ctl`);
      return dir;
    } catch {
      continue;
    }
  }
  throw new Error("postgres: no PostgreSQL server binaries found (apt-get install postgresql)");
}

/** @returns a TCP port that was free a moment ago on 127.0.0.1 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const isRoot = Deno.uid() === 0;

async function run(bin: string, args: string[]): Promise<void> {
  const command = isRoot
    ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", bin, ...args] })
    : new Deno.Command(bin, { args });
  const { code, stderr, stdout } = await command.output();
  if (code !== 0) {
    const text = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
    throw new Error(`postgres: ${bin.split("/").at(-1)} failed (${code}): ${text.trim()}`);
  }
}

/**
 * Creates and starts a cluster.
 *
 * @returns the running cluster
 * @throws {Error} when initdb or pg_ctl fail
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = await findBinDir();
  const root = await Deno.makeTempDir({ prefix: "vigil-pg-" });
  const data = `${root}/data`;
  if (isRoot) await new Deno.Command("chown", { args: ["postgres:postgres", root] }).output();
  await run(`${bin}/initdb`, [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off ` +
    `-c max_connections=200`;
  const start = () =>
    run(`${bin}/pg_ctl`, ["-D", data, "-o", options, "-l", `${root}/log`, "-w", "start"]);
  const stop = () => run(`${bin}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"]);
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async close() {
      if (running) await stop().catch(() => {});
      running = false;
      await Deno.remove(root, { recursive: true });
    },
  };
}
