/**
 * Starts the real server (`deno run main.ts`) as a child process on a free port, for tests that
 * talk HTTP to it, and collects its log lines.
 *
 * @module
 */

/** Where the server runs, for tests on a simulated LAN (test/support/lan.ts). */
export interface ServerPlacement {
  /** A network namespace to run it in (`ip netns exec`); default the test's own. */
  netns?: string;
  /** The address it listens on and the test calls (default 127.0.0.1). */
  hostname?: string;
}

/** A running server process. */
export interface ServerProcess {
  /** `http://<hostname>:<port>` */
  readonly base: string;
  readonly pid: number;
  /** Every stderr line so far. */
  readonly lines: string[];
  /** Sends a signal and resolves with the exit code and how long the exit took. */
  stop(signal?: Deno.Signal): Promise<{ code: number; ms: number }>;
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * Runs the server with `env` until it logs `listening`.
 *
 * @param env extra environment (VIGIL_DATA_DIR, DATABASE_URL...)
 * @param placement namespace and address (default: here, on 127.0.0.1)
 * @returns the process
 * @throws {Error} when it exits before listening, with its output
 */
export async function startServer(
  env: Record<string, string>,
  placement: ServerPlacement = {},
): Promise<ServerProcess> {
  const hostname = placement.hostname ?? "127.0.0.1";
  const deno = [Deno.execPath(), "run", "-A", MAIN];
  // `ip netns exec` execs the command in place: the child's PID is the server's.
  const [program, ...args] = placement.netns
    ? ["ip", "netns", "exec", placement.netns, ...deno]
    : deno;
  const child = new Deno.Command(program!, {
    args,
    env: { VIGIL_PORT: "0", VIGIL_HOST: hostname, VIGIL_RTSP_PORT: "0", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let port: number | undefined;
  const listening = Promise.withResolvers<number>();
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (port === undefined && line.includes('"msg":"listening"')) {
          port = JSON.parse(line).port;
          listening.resolve(port!);
        }
      }
    }
    listening.reject(new Error(`server exited before listening:\n${lines.join("\n")}`));
  })();
  const stdout = child.stdout.pipeTo(new WritableStream());
  const timer = setTimeout(
    // A first start creates the embedded database (initdb in WASM): ~3 s idle, far more on a
    // box whose other suites hold every core.
    () => listening.reject(new Error("server did not listen in 180 s")),
    180_000,
  );
  try {
    port = await listening.promise;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await Promise.all([child.status, reading, stdout]);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    base: `http://${hostname}:${port}`,
    pid: child.pid,
    lines,
    async stop(signal: Deno.Signal = "SIGTERM") {
      const started = performance.now();
      child.kill(signal);
      const status = await child.status;
      await Promise.all([reading, stdout]);
      return { code: status.code, ms: performance.now() - started };
    },
  };
}
